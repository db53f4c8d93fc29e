import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { Pool } from 'pg';
import { ExportFormat, FORMAT_TRAITS } from '@exports/contracts';
import { ObjectStorage } from '@exports/storage';
import { CopyProgress, copyToParts, StoredPart } from './copy-to-parts';
import { RunStop } from './run-watchdog';

// The int tier's global setup provides S3_ENDPOINT (a local S3 server unless told otherwise).
const endpoint = process.env.S3_ENDPOINT!;
const bucket = `test-parts-${randomUUID().slice(0, 8)}`;
const storage = new ObjectStorage({ endpoint, publicUrl: endpoint, accessKey: process.env.S3_ACCESS_KEY ?? 'minioadmin', secretKey: process.env.S3_SECRET_KEY ?? 'minioadmin', bucket });
const pool = new Pool({ connectionString: process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', max: 2 });

/** Rows whose text holds what cuts a file wrongly if the cut is not on a record: newlines, quotes, commas. */
const ROWS = `SELECT n AS id, CASE WHEN n % 3 = 0 THEN E'line\\nbreak, "quoted"' ELSE 'plain ' || n END AS body, n * 0.5 AS cost
              FROM generate_series(1, $ROWS) AS n ORDER BY n`;

async function copy(rows: number, format: ExportFormat, maxRowsPerFile: number): Promise<{ parts: StoredPart[]; bodies: string[]; progress: CopyProgress }> {
  const traits = FORMAT_TRAITS[format];
  const select = traits.jsonLines
    ? `SELECT row_to_json(r)::text FROM (${ROWS.replace('$ROWS', String(rows))}) r`
    : ROWS.replace('$ROWS', String(rows));
  const sql = traits.jsonLines
    ? `COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER false, DELIMITER E'\\x02', QUOTE E'\\x01')`
    : `COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
  const prefix = randomUUID();
  const client = await pool.connect();
  const progress = new CopyProgress();
  try {
    const parts = await copyToParts(client, sql, { traits, maxRowsPerFile, gzipLevel: 1, objectKey: (part) => `${prefix}/part-${part}.${traits.extension}` }, storage, new RunStop(), progress);
    const bodies = await Promise.all(parts.map(async (part) => {
      const bytes = await download(part.objectKey);
      return (traits.gzip ? gunzipSync(bytes) : bytes).toString();
    }));
    return { parts, bodies, progress };
  } finally {
    client.release();
  }
}

async function download(key: string): Promise<Buffer> {
  const response = await fetch(await storage.presignGet(key, 60));
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe('copyToParts (PostgreSQL COPY → parts in S3)', () => {
  beforeAll(() => storage.ensureBucket());
  afterAll(() => pool.end());

  it.each([ExportFormat.Csv, ExportFormat.CsvGzip])('%s: 2,500 rows at 1,000 a file are 3 parts, each with the header, cut on rows', async (format) => {
    const whole = await copy(2500, format, 1_048_575);
    const split = await copy(2500, format, 1000);
    expect(whole.parts).toHaveLength(1);
    expect(split.parts.map((part) => part.rowCount)).toEqual([1000, 1000, 500]);
    expect(split.parts.map((part) => part.part)).toEqual([1, 2, 3]);
    const header = 'id,body,cost\n';
    for (const body of split.bodies) expect(body.startsWith(header)).toBe(true);
    // The rows of the parts, in order, are the rows of the unsplit file.
    expect(split.bodies.map((body) => body.slice(header.length)).join('')).toBe(whole.bodies[0].slice(header.length));
    expect(split.progress.rows).toBe(2500);
  });

  it.each([ExportFormat.Jsonl, ExportFormat.JsonlGzip])('%s: one JSON object per line, typed, split on lines', async (format) => {
    const split = await copy(2500, format, 1000);
    expect(split.parts.map((part) => part.rowCount)).toEqual([1000, 1000, 500]);
    const lines = split.bodies.join('').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2500);
    expect(JSON.parse(lines[2])).toEqual({ id: 3, body: 'line\nbreak, "quoted"', cost: 1.5 });
    expect(JSON.parse(lines[2499])).toEqual({ id: 2500, body: 'plain 2500', cost: 1250 });
  });

  it('records size and SHA-256 of each object as stored, and its type (a .gz download stays gzip)', async () => {
    const { parts } = await copy(10, ExportFormat.CsvGzip, 1000);
    const bytes = await download(parts[0].objectKey);
    expect(parts[0].sizeBytes).toBe(bytes.length);
    expect(parts[0].sha256).toBe(require('node:crypto').createHash('sha256').update(bytes).digest('hex'));
    const response = await fetch(await storage.presignGet(parts[0].objectKey, 60));
    expect(response.headers.get('content-type')).toBe('application/gzip');
    expect(response.headers.get('content-encoding')).toBeNull();
  });

  it('no rows: one file, the header alone (CSV) or empty (JSON Lines)', async () => {
    const csv = await copy(0, ExportFormat.Csv, 1000);
    expect(csv.parts).toEqual([expect.objectContaining({ part: 1, rowCount: 0 })]);
    expect(csv.bodies).toEqual(['id,body,cost\n']);
    const jsonl = await copy(0, ExportFormat.Jsonl, 1000);
    expect(jsonl.bodies).toEqual(['']);
  });

  it('exactly a multiple of the part size leaves no empty part', async () => {
    const { parts } = await copy(2000, ExportFormat.Csv, 1000);
    expect(parts.map((part) => part.rowCount)).toEqual([1000, 1000]);
  });

  it("a COPY that fails mid-file throws PostgreSQL's error, not the failure of the upload it tears down", async () => {
    const traits = FORMAT_TRAITS[ExportFormat.Csv];
    const prefix = `${randomUUID()}/`;
    // Division by zero at row 50,000: the first part's upload has begun when the COPY fails.
    const sql = `COPY (SELECT n, 1 / (50000 - n) AS boom FROM generate_series(1, 100000) AS n ORDER BY n) TO STDOUT WITH (FORMAT csv, HEADER true)`;
    const plan = { traits, maxRowsPerFile: 1_048_575, gzipLevel: 1, objectKey: (part: number) => `${prefix}part-${part}.csv` };
    const client = await pool.connect();
    try {
      await expect(copyToParts(client, sql, plan, storage, new RunStop(), new CopyProgress())).rejects.toMatchObject({ code: '22012', message: 'division by zero' });
    } finally {
      client.release(true);
    }
    expect(await storage.listKeys(prefix)).toEqual([]);
  });

  it('a run stopped mid-upload throws only once its multipart upload has settled: nothing of it is left, nothing in flight', async () => {
    const traits = FORMAT_TRAITS[ExportFormat.Csv];
    const prefix = `${randomUUID()}/`;
    // Parts of 5 MiB (the S3 minimum): the file becomes a multipart upload after a few MB of rows.
    const multipart = new ObjectStorage({ endpoint, publicUrl: endpoint, accessKey: process.env.S3_ACCESS_KEY ?? 'minioadmin', secretKey: process.env.S3_SECRET_KEY ?? 'minioadmin', bucket, partSize: 5 * 1024 * 1024 });
    const stop = new RunStop();
    let uploadSettled = false;
    const watched = {
      stat: (key: string) => multipart.stat(key),
      upload: (key: string, body: Readable, contentType?: string) => {
        const upload = multipart.upload(key, body, contentType);
        void upload.then(
          () => (uploadSettled = true),
          () => (uploadSettled = true),
        );
        return upload;
      },
    };
    // The run is stopped (a cancel) once a whole part's bytes went into the upload: its multipart
    // upload is being created or its first part sent.
    class StopAfterFirstPart extends CopyProgress {
      override add(rows: number, bytes: number): void {
        super.add(rows, bytes);
        if (this.bytes > multipart.partSize) stop.stop(new Error('cancelled mid-upload'));
      }
    }
    const client = await pool.connect();
    let outcome: { error: Error; uploadSettled: boolean } | undefined;
    try {
      const sql = `COPY (${ROWS.replace('$ROWS', '400000')}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
      const plan = { traits, maxRowsPerFile: 1_048_575, gzipLevel: 1, objectKey: (part: number) => `${prefix}part-${part}.csv` };
      await copyToParts(client, sql, plan, watched, stop, new StopAfterFirstPart()).catch((error: Error) => (outcome = { error, uploadSettled }));
    } finally {
      client.release(true);
    }
    // Settled before the throw: the clean-up that follows (the runner's discard) cannot miss a
    // request still on its way, and a worker exiting after it leaves no upload unfinished.
    expect(outcome).toEqual({ error: new Error('cancelled mid-upload'), uploadSettled: true });
    expect({ objects: await storage.listKeys(prefix), uploads: await storage.incompleteUploads(prefix) }).toEqual({ objects: [], uploads: [] });
  });
});
