import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { types } from 'node:util';
import { Client } from 'minio';
import { ObjectStorage, type ObjectStorageOptions } from './object-storage';

// The int tier's global setup provides S3_ENDPOINT and keys (a local S3 server unless told otherwise).
const endpoint = requiredEnv('S3_ENDPOINT');
const accessKey = process.env.S3_ACCESS_KEY ?? 'minioadmin';
const secretKey = process.env.S3_SECRET_KEY ?? 'minioadmin';
const runId = randomUUID().slice(0, 8);
const bucket = `test-${runId}`;
const raceBucket = `test-${runId}-race`;

const MiB = 1024 * 1024;

function storageFor(overrides: Partial<ObjectStorageOptions> = {}): ObjectStorage {
  return new ObjectStorage({ endpoint, publicUrl: endpoint, accessKey, secretKey, bucket, ...overrides });
}

/** `size` pseudo-random bytes produced chunk by chunk on demand, never held whole in memory. */
function generatedStream(size: number, chunkSize = 256 * 1024): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let remaining = size;
  const stream = new Readable({
    read() {
      if (remaining === 0) return void this.push(null);
      const chunk = randomBytes(Math.min(chunkSize, remaining));
      remaining -= chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

async function download(url: string): Promise<{ status: number; size: number; sha256: string; headers: Headers }> {
  const response = await fetch(url);
  const hash = createHash('sha256');
  let size = 0;
  if (response.body) {
    for await (const chunk of Readable.fromWeb(response.body)) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      hash.update(bytes);
    }
  }
  return { status: response.status, size, sha256: hash.digest('hex'), headers: response.headers };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ObjectStorage against the S3 server', () => {
  const storage = storageFor();

  beforeAll(async () => {
    await storage.ensureBucket();
  });

  afterAll(async () => {
    // Leave nothing behind on a shared server (CI may run one for every job).
    const admin = new Client({ ...clientAddress(endpoint), accessKey, secretKey, region: 'us-east-1' });
    for (const name of [bucket, raceBucket]) {
      if (!(await admin.bucketExists(name))) continue;
      const keys = await storageFor({ bucket: name }).listKeys('');
      if (keys.length > 0) await admin.removeObjects(name, keys);
      await admin.removeBucket(name);
    }
  });

  it('ensureBucket is idempotent, also when instances race to create the bucket', async () => {
    await expect(storage.ensureBucket()).resolves.toBeUndefined();

    const racers = [storageFor({ bucket: raceBucket }), storageFor({ bucket: raceBucket }), storageFor({ bucket: raceBucket })];
    await Promise.all(racers.map((racer) => racer.ensureBucket()));
    await expect(racers[0]?.ensureBucket()).resolves.toBeUndefined();
    await expect(racers[0]?.ping()).resolves.toBeUndefined();
  });

  it('streams a 40 MiB upload of unknown size and serves the exact bytes through a presigned link', async () => {
    const size = 40 * MiB;
    const key = `big/${randomUUID()}/export.csv`;
    const source = generatedStream(size);

    const { etag } = await storage.upload(key, source.stream);
    expect(etag).toMatch(/\S/);
    await expect(storage.stat(key)).resolves.toEqual({ size });

    const link = await storage.presignGet(key, 60, 'contacts-20260101T000000Z-abc123.csv');
    const downloaded = await download(link);
    expect(downloaded.status).toBe(200);
    expect(downloaded.size).toBe(size);
    expect(downloaded.sha256).toBe(source.sha256());
    expect(downloaded.headers.get('content-disposition')).toBe('attachment; filename="contacts-20260101T000000Z-abc123.csv"');
  });

  it('stores exact bytes at every size around the first buffer growing to a part and the first part', async () => {
    const part = storage.partSize;
    for (const size of [1, 64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024 + 7, part - 1, part, part + 1]) {
      const key = `sizes/${randomUUID()}/${size}.csv`;
      // Chunks of an odd size, so that no chunk boundary meets a buffer boundary.
      const source = generatedStream(size, 100_003);
      await storage.upload(key, source.stream);
      const downloaded = await download(await storage.presignGet(key, 60));
      expect({ size: downloaded.size, sha256: downloaded.sha256 }).toEqual({ size, sha256: source.sha256() });
    }
  });

  it('uploads after uploads with reused part buffers: each object has its own bytes, also after a failed upload', async () => {
    const size = 2 * storage.partSize + 12_345;
    const sources: Array<{ key: string; sha256: () => string }> = [];
    for (let n = 0; n < 3; n++) {
      const key = `reuse/${randomUUID()}/${n}.csv`;
      const source = generatedStream(size, 77_777);
      await storage.upload(key, source.stream);
      sources.push({ key, sha256: source.sha256 });
      // A failed multipart upload in between gives its buffers back too.
      const failing = generatedStream(storage.partSize + 1).stream.pipe(new Transform({ transform: (chunk, _encoding, done) => done(null, chunk), flush: (done) => done(new Error('source went away')) }));
      await expect(storage.upload(`reuse/${randomUUID()}/failed.csv`, failing)).rejects.toThrow('source went away');
    }
    for (const { key, sha256 } of sources) {
      const downloaded = await download(await storage.presignGet(key, 60));
      expect({ size: downloaded.size, sha256: downloaded.sha256 }).toEqual({ size, sha256: sha256() });
    }
  });

  it('keeps the content type and stores an empty stream as an empty object', async () => {
    const csvKey = `small/${runId}/rows.csv`;
    await storage.upload(csvKey, Readable.from(['id,name\r\n', '1,"a ""quoted"" name"\r\n']));
    const csv = await fetch(await storage.presignGet(csvKey, 60));
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await csv.text()).toBe('id,name\r\n1,"a ""quoted"" name"\r\n');

    const emptyKey = `small/${runId}/empty.csv`;
    await storage.upload(emptyKey, Readable.from([]));
    await expect(storage.stat(emptyKey)).resolves.toEqual({ size: 0 });
  });

  it('fails the upload when the source stream fails, and leaves no object behind', async () => {
    const key = `broken/${randomUUID()}.csv`;
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 20 * MiB) return void this.destroy(new Error('source went away'));
        sent += MiB;
        this.push(Buffer.alloc(MiB, 0x61));
      },
    });

    await expect(storage.upload(key, failing)).rejects.toThrow('source went away');
    expect(failing.destroyed).toBe(true);
    await expect(storage.stat(key)).resolves.toBeNull();
  });

  it('refuses a presigned link after it expires', async () => {
    const key = `expiry/${randomUUID()}.csv`;
    await storage.upload(key, Readable.from(['a,b\r\n']));
    const link = await storage.presignGet(key, 1);
    expect(new URL(link).searchParams.get('X-Amz-Expires')).toBe('1');

    await sleep(2_100);
    const response = await fetch(link);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('AccessDenied');
  });

  it('refuses a link whose signature was tampered with, or that carries none', async () => {
    const key = `tamper/${randomUUID()}.csv`;
    await storage.upload(key, Readable.from(['a,b\r\n']));
    const link = new URL(await storage.presignGet(key, 60));
    expect((await fetch(link)).status).toBe(200);

    const signature = link.searchParams.get('X-Amz-Signature') ?? '';
    const tampered = new URL(link);
    tampered.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
    const refused = await fetch(tampered);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('SignatureDoesNotMatch');

    const longer = new URL(link);
    longer.searchParams.set('X-Amz-Expires', '604800');
    expect((await fetch(longer)).status).toBe(403);

    const unsigned = `${link.origin}${link.pathname}`;
    expect((await fetch(unsigned)).status).toBe(403);
  });

  it('signs links for the public URL and clamps their lifetime to 1 s..7 days', async () => {
    const publicUrl = 'https://files.example.com';
    const publicStorage = storageFor({ publicUrl });
    const link = new URL(await publicStorage.presignGet('any/key.csv', 30 * 24 * 3600));
    expect(link.origin).toBe(publicUrl);
    expect(link.pathname).toBe(`/${bucket}/any/key.csv`);
    expect(link.searchParams.get('X-Amz-Expires')).toBe('604800');

    const shortest = new URL(await publicStorage.presignGet('any/key.csv', 0));
    expect(shortest.searchParams.get('X-Amz-Expires')).toBe('1');
  });

  it('lists keys under a prefix and removes a prefix, and only that prefix', async () => {
    const prefix = `remove/${randomUUID()}/`;
    const keep = `keep/${randomUUID()}/file.csv`;
    for (const name of ['a.csv', 'b.csv', 'nested/c.csv']) {
      await storage.upload(`${prefix}${name}`, Readable.from([`${name}\r\n`]));
    }
    await storage.upload(keep, Readable.from(['kept\r\n']));

    await expect(storage.listKeys(prefix)).resolves.toEqual([`${prefix}a.csv`, `${prefix}b.csv`, `${prefix}nested/c.csv`]);
    await expect(storage.removePrefix(prefix)).resolves.toBe(3);
    await expect(storage.listKeys(prefix)).resolves.toEqual([]);
    await expect(storage.stat(`${prefix}a.csv`)).resolves.toBeNull();
    await expect(storage.stat(keep)).resolves.toEqual({ size: 6 });
    await expect(storage.removePrefix(prefix)).resolves.toBe(0);
    await expect(storage.removePrefix('')).rejects.toThrow('non-empty prefix');

    await storage.remove(keep);
    await expect(storage.stat(keep)).resolves.toBeNull();
    await expect(storage.remove(keep)).resolves.toBeUndefined();
  });

  it('sets the bucket lifecycle where the server supports it, and reports NotImplemented as unsupported', async () => {
    const outcome = await storage.applyLifecycle({ expireAfterDays: 8, abortIncompleteUploadsAfterDays: 1 });
    expect(['set', 'unsupported']).toContain(outcome);
    // MinIO and S3 keep the rule; the local test server has no lifecycle and answers NotImplemented.
    const kept = outcome === 'set' ? await storage.lifecycle() : null;
    expect(kept === null || kept.Rule.some((rule) => rule.Expiration?.Days === 8 && rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation === 1)).toBe(true);
  });

  it('stat of a missing object is null', async () => {
    await expect(storage.stat(`missing/${randomUUID()}.csv`)).resolves.toBeNull();
  });

  it('ping throws when storage is unreachable', async () => {
    await expect(storage.ping()).resolves.toBeUndefined();

    const dead = storageFor({ endpoint: 'http://127.0.0.1:1' });
    const error = await dead.ping().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    // The refused connection's error may come from Node's own realm, not jest's: no instanceof.
    expect(types.isNativeError(error) || error instanceof Error).toBe(true);
    expect((error as Error).message).not.toBe('');
  });

  it('wrong keys are refused', async () => {
    const wrongKeys = storageFor({ secretKey: `${secretKey}-wrong` });
    const error = await wrongKeys.ping().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: expect.stringMatching(/AccessDenied|SignatureDoesNotMatch/) });
  });
});

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this file through the int project (jest --selectProjects int)`);
  return value;
}

function clientAddress(url: string): { endPoint: string; port: number; useSSL: boolean } {
  const parsed = new URL(url);
  const useSSL = parsed.protocol === 'https:';
  return { endPoint: parsed.hostname, port: parsed.port ? Number(parsed.port) : useSSL ? 443 : 80, useSSL };
}
