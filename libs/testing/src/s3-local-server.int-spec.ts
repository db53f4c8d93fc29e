import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { ObjectStorage } from '@exports/storage';
import { LocalS3Server, startLocalS3Server } from './s3-local-server';

/**
 * The local S3 server as the clean-up code needs it: multipart uploads in progress are listed and
 * can be aborted (so a test can tell that nothing was left behind), and a bucket lifecycle is
 * answered NotImplemented, which the apps tolerate. A server of this test's own, on a free port.
 */
describe('local S3 server: multipart uploads and lifecycle (int)', () => {
  const keys = { accessKey: 'local-test', secretKey: 'local-test-secret' };
  const bucket = `uploads-${randomBytes(4).toString('hex')}`;
  let directory: string;
  let server: LocalS3Server;
  let storage: ObjectStorage;
  let client: Client;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 's3-uploads-'));
    server = await startLocalS3Server({ port: 0, directory, ...keys });
    storage = new ObjectStorage({ endpoint: server.endpoint, publicUrl: server.endpoint, bucket, ...keys });
    await storage.ensureBucket();
    const url = new URL(server.endpoint);
    client = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, region: 'us-east-1', ...keys });
  });

  afterAll(async () => {
    await server?.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function beginUpload(key: string): Promise<string> {
    const uploadId = await client.initiateNewMultipartUpload(bucket, key, {});
    await client.uploadPart({ bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: 1, headers: {} }, Buffer.alloc(5 * 1024 * 1024, 0x61));
    return uploadId;
  }

  it('lists the uploads in progress under a prefix, and discard aborts them and removes the objects', async () => {
    const first = await beginUpload('acc/exp/1/file.csv');
    const second = await beginUpload('acc/exp/1/file.csv');
    const other = await beginUpload('acc/exp/2/file.csv');
    await storage.upload('acc/exp/1/file.csv', Readable.from(['a,b\r\n']));
    await storage.upload('acc/exp/2/file.csv', Readable.from(['c,d\r\n']));

    const listed = await storage.incompleteUploads('acc/exp/1/');
    expect(listed.map((upload) => upload.uploadId).sort()).toEqual([first, second].sort());
    expect(listed.every((upload) => upload.key === 'acc/exp/1/file.csv')).toBe(true);

    await expect(storage.discard('acc/exp/1/')).resolves.toEqual({ objects: 1, uploads: 2 });
    expect(await storage.incompleteUploads('acc/exp/1/')).toEqual([]);
    expect(await storage.listKeys('acc/exp/1/')).toEqual([]);
    // Another run's upload and object are untouched.
    expect(await storage.incompleteUploads('acc/exp/2/')).toEqual([{ key: 'acc/exp/2/file.csv', uploadId: other }]);
    expect(await storage.stat('acc/exp/2/file.csv')).toEqual({ size: 5 });
    await expect(storage.discard('')).rejects.toThrow('non-empty prefix');
  });

  it('an upload whose source fails is aborted: no object and no upload in progress', async () => {
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 12 * 1024 * 1024) return void this.destroy(new Error('source went away'));
        sent += 1024 * 1024;
        this.push(Buffer.alloc(1024 * 1024, 0x62));
      },
    });
    const small = new ObjectStorage({ endpoint: server.endpoint, publicUrl: server.endpoint, bucket, partSize: 5 * 1024 * 1024, ...keys });
    await expect(small.upload('broken/1/file.csv', failing)).rejects.toThrow('source went away');
    expect(await small.incompleteUploads('broken/')).toEqual([]);
    expect(await small.stat('broken/1/file.csv')).toBeNull();
  });

  it('answers a bucket lifecycle with NotImplemented, which applyLifecycle reports as unsupported', async () => {
    await expect(storage.applyLifecycle({ expireAfterDays: 8, abortIncompleteUploadsAfterDays: 1 })).resolves.toBe('unsupported');
  });

  it('deletes many keys of one folder at once, and a delete never takes the folder from a write beside it', async () => {
    // s3rver alone removes a folder its delete emptied: parallel deletes there then fail with 500, and
    // a put that just created the folder loses it. Rounds make the interleaving likely, not certain.
    for (let round = 0; round < 10; round++) {
      const folder = `race/${round}/`;
      const doomed = Array.from({ length: 20 }, (_, index) => `${folder}old-${index}.csv`);
      await Promise.all(doomed.map((key) => storage.upload(key, Readable.from([`${key}\r\n`]))));

      const written = `${folder}new.csv`;
      await Promise.all([client.removeObjects(bucket, doomed), storage.upload(written, Readable.from(['fresh\r\n']))]);

      expect(await storage.listKeys(folder)).toEqual([written]);
      expect(await storage.stat(written)).toEqual({ size: 7 });
    }
  });

  it('completes a multipart upload as S3 does: the parts in order, the multipart ETag, the upload gone', async () => {
    const key = 'acc/exp/3/parts.csv';
    const parts = [Buffer.alloc(5 * 1024 * 1024, 0x62), Buffer.from('the,last\r\npart,here\r\n')];
    const uploadId = await client.initiateNewMultipartUpload(bucket, key, { 'Content-Type': 'text/csv; charset=utf-8' });
    const uploaded = [];
    // Sent out of order: the object follows the part numbers.
    for (const part of [2, 1]) {
      const { etag } = await client.uploadPart({ bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: {} }, parts[part - 1]);
      uploaded.push({ part, etag });
    }
    await expect(client.completeMultipartUpload(bucket, key, uploadId, [{ part: 1, etag: 'f'.repeat(32) }, uploaded[0]])).rejects.toMatchObject({ code: 'InvalidPart' });

    const { etag } = await client.completeMultipartUpload(bucket, key, uploadId, uploaded.sort((a, b) => a.part - b.part));
    const md5 = (data: Buffer) => createHash('md5').update(data).digest();
    expect(etag).toBe(`${createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex')}-2`);
    const stored = await client.statObject(bucket, key);
    expect(stored).toMatchObject({ size: parts[0].length + parts[1].length, etag, metaData: { 'content-type': 'text/csv; charset=utf-8' } });
    const chunks: Buffer[] = [];
    for await (const chunk of await client.getObject(bucket, key)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(Buffer.concat(parts))).toBe(true);
    expect(await storage.incompleteUploads('acc/exp/3/')).toEqual([]);
  });
});
