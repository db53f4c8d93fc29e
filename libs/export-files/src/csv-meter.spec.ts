import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { CsvMeter } from './csv-meter';

async function meter(chunks: string[]): Promise<{ rows: number; bytes: number; sha: string; out: string }> {
  const m = new CsvMeter();
  let out = '';
  await pipeline(
    Readable.from(chunks.map((c) => Buffer.from(c))),
    m,
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out += chunk.toString();
        cb();
      },
    }),
  );
  return { rows: m.rows, bytes: m.sizeBytes, sha: m.digest(), out };
}

describe('CsvMeter', () => {
  const csv = 'id,body\n1,plain\n2,"with ""quotes"", commas\nand a newline"\n3,"€ ünïcødé 日本"\n';

  it('counts data rows, not newlines inside quoted fields', async () => {
    const result = await meter([csv]);
    expect(result.rows).toBe(3);
    expect(result.out).toBe(csv);
    expect(result.bytes).toBe(Buffer.byteLength(csv));
    expect(result.sha).toBe(createHash('sha256').update(csv).digest('hex'));
  });

  it('gives the same count whatever the chunk boundaries', async () => {
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < csv.length; i += size) chunks.push(csv.slice(i, i + size));
      expect((await meter(chunks)).rows).toBe(3);
    }
  });

  it('counts a header-only file as zero rows', async () => {
    expect((await meter(['id,body\n'])).rows).toBe(0);
    expect((await meter([])).rows).toBe(0);
  });

  it('reports progress through the callback', async () => {
    const seen: number[] = [];
    const m = new CsvMeter((rows) => seen.push(rows), 0);
    await pipeline(Readable.from([Buffer.from('h\n1\n'), Buffer.from('2\n3\n')]), m, new Writable({ write: (_c, _e, cb) => cb() }));
    expect(seen).toEqual([1, 3]);
  });
});
