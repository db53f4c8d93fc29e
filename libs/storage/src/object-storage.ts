import { Client, type ClientOptions, type LifecycleConfig } from 'minio';
import { Readable } from 'node:stream';

export interface ObjectStorageOptions {
  /** Where this service reaches S3, e.g. http://minio:9000. */
  endpoint: string;
  /** What presigned links point at, e.g. https://files.example.com (links are signed for a host). */
  publicUrl: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** Default us-east-1. Known up front, so presigning never asks the server for the bucket's region. */
  region?: string;
  /** Multipart part size in bytes (S3: at least 5 MiB), default 5 MiB: a streamed upload holds two parts in memory. */
  partSize?: number;
}

export const DEFAULT_PART_SIZE = 5 * 1024 * 1024;
/** The first buffer of an upload; a file that outgrows it gets whole parts. */
const FIRST_BUFFER_BYTES = 64 * 1024;
/** S3 refuses presigned links that live longer than 7 days. */
export const MAX_PRESIGN_SECONDS = 604_800;
const DEFAULT_PING_TIMEOUT_MS = 5_000;
const NOT_FOUND_CODES = new Set(['NotFound', 'NoSuchKey']);
const NO_UPLOAD_CODES = new Set(['NoSuchUpload', 'NotFound']);
/** Answers of servers that have no bucket lifecycle (the local test server among them). */
const UNSUPPORTED_CODES = new Set(['NotImplemented', 'MethodNotAllowed']);
const LIFECYCLE_RULE_ID = 'exports-retention';

export interface LifecycleRules {
  /** Objects are removed this many days after they were written. */
  expireAfterDays: number;
  /** Multipart uploads never completed are aborted (their parts freed) this many days after they began. */
  abortIncompleteUploadsAfterDays: number;
}

/** The exports bucket behind one small interface: streamed uploads, presigned downloads, clean-up. */
export class ObjectStorage {
  readonly bucket: string;
  readonly region: string;
  /** Bytes per upload part; an upload holds two. */
  readonly partSize: number;
  private readonly client: Client;
  /** Same keys, public host: used only to sign links, never to send a request. */
  private readonly signer: Client;
  /**
   * Part buffers of finished uploads, taken by the next one (at most one upload's two): the parts
   * of a split export, and exports one after the other, reuse them instead of leaving each
   * upload's 2 × `partSize` to the garbage collector while the next allocates its own.
   */
  private readonly spareParts: Buffer[] = [];

  constructor(options: ObjectStorageOptions) {
    this.bucket = options.bucket;
    this.region = options.region ?? 'us-east-1';
    const credentials = { accessKey: options.accessKey, secretKey: options.secretKey, region: this.region };
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.client = new Client({ ...endpointOptions(options.endpoint, 'endpoint'), ...credentials });
    this.signer = new Client({ ...endpointOptions(options.publicUrl, 'publicUrl'), ...credentials });
  }

  /** Creates the bucket if missing; a bucket created meanwhile by another instance is fine. */
  async ensureBucket(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (error) {
      // BucketAlreadyOwnedByYou / BucketAlreadyExists after a race: accept it only if we can reach the bucket.
      if (await this.client.bucketExists(this.bucket).catch(() => false)) return;
      throw error;
    }
  }

  /**
   * Streams `body` to `key`. The bytes are copied into two part buffers of `partSize`, reused:
   * one is uploaded while the other fills, so memory stays at two parts whatever the size (the
   * first starts at 64 KiB, so a small file holds little), and handed to the next upload. A
   * body that fits in one part is one plain PUT; a longer one is a multipart upload, and the
   * object appears only when it completes. If `body` fails, the upload is aborted; if the
   * upload fails, `body` is destroyed so its producer stops.
   */
  async upload(key: string, body: Readable, contentType = 'text/csv; charset=utf-8'): Promise<{ etag: string }> {
    const headers = { 'Content-Type': contentType };
    const buffers: Buffer[] = [];
    let current = 0;
    let filled = 0;
    let multipart: MultipartUpload | undefined;
    try {
      for await (const chunk of body as AsyncIterable<Buffer | string>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        let offset = 0;
        while (offset < bytes.length) {
          const buffer = buffers[current];
          if (!buffer || (filled === buffer.length && buffer.length < this.partSize)) {
            // The first part's buffer starts small and becomes a whole part once that is full:
            // a file of a few rows never holds (and makes the garbage collector account for) a
            // part. (Doubling instead left up to a part of discarded buffers: 10 MB more peak.)
            const size = buffer || multipart ? this.partSize : Math.min(this.partSize, FIRST_BUFFER_BYTES);
            const grown = size === this.partSize ? (this.spareParts.pop() ?? Buffer.allocUnsafeSlow(size)) : Buffer.allocUnsafeSlow(size);
            buffer?.copy(grown, 0, 0, filled);
            buffers[current] = grown;
          }
          const copied = bytes.copy(buffers[current], filled, offset);
          filled += copied;
          offset += copied;
          if (filled === this.partSize) {
            multipart ??= new MultipartUpload(this.client, this.bucket, key, await this.client.initiateNewMultipartUpload(this.bucket, key, headers));
            // Waits for the previous part, whose buffer is filled next.
            await multipart.send(buffers[current]);
            current = 1 - current;
            filled = 0;
          }
        }
      }
      const rest = (buffers[current] ?? Buffer.alloc(0)).subarray(0, filled);
      if (!multipart) {
        const { etag } = await this.client.putObject(this.bucket, key, rest, rest.length, headers);
        return { etag };
      }
      if (rest.length) await multipart.send(rest);
      return await multipart.complete();
    } catch (error) {
      body.destroy();
      // Best effort: S3 keeps the parts of an abandoned upload until told otherwise.
      await multipart?.abort().catch(() => undefined);
      throw error;
    } finally {
      // Every send has settled here (complete and abort wait for the part in flight).
      for (const buffer of buffers) if (buffer.length === this.partSize && this.spareParts.length < 2) this.spareParts.push(buffer);
    }
  }

  /**
   * A GET link for `key`, signed for the public host, valid for `expiresInSeconds` (clamped to
   * 1 s..7 days). With `downloadFileName`, the download is served as an attachment of that name.
   */
  async presignGet(key: string, expiresInSeconds: number, downloadFileName?: string, signedAt?: Date): Promise<string> {
    if (!Number.isFinite(expiresInSeconds)) {
      throw new RangeError(`expiresInSeconds must be a finite number, got ${expiresInSeconds}`);
    }
    const expires = Math.min(MAX_PRESIGN_SECONDS, Math.max(1, Math.floor(expiresInSeconds)));
    const overrides = downloadFileName === undefined ? undefined : { 'response-content-disposition': attachmentHeader(downloadFileName) };
    return this.signer.presignedGetObject(this.bucket, key, expires, overrides, signedAt);
  }

  /** Size of the object, or null when there is no object at `key`. */
  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const { size } = await this.client.statObject(this.bucket, key);
      return { size };
    } catch (error) {
      if (NOT_FOUND_CODES.has(errorCode(error) ?? '')) return null;
      throw error;
    }
  }

  /** Removes the object at `key`; removing a missing object is not an error. */
  async remove(key: string): Promise<void> {
    await this.client.removeObject(this.bucket, key);
  }

  /** Multipart uploads begun under `prefix` and neither completed nor aborted. */
  async incompleteUploads(prefix: string): Promise<Array<{ key: string; uploadId: string }>> {
    const uploads: Array<{ key: string; uploadId: string }> = [];
    let keyMarker = '';
    let uploadIdMarker = '';
    for (;;) {
      const page = await this.client.listIncompleteUploadsQuery(this.bucket, prefix, keyMarker, uploadIdMarker, '');
      for (const upload of page.uploads) uploads.push({ key: String(upload.key), uploadId: String(upload.uploadId) });
      if (!page.isTruncated || !page.nextKeyMarker) return uploads;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
    }
  }

  /**
   * Removes everything written under `prefix`: the objects, and the parts of every multipart upload
   * that never completed (an upload cut off mid-way leaves them, billed and invisible to listings).
   * Returns how many objects and uploads there were. An empty prefix is refused.
   */
  async discard(prefix: string): Promise<{ objects: number; uploads: number }> {
    if (!prefix) throw new Error('discard needs a non-empty prefix');
    const uploads = await this.incompleteUploads(prefix);
    for (const upload of uploads) {
      await this.client.abortMultipartUpload(this.bucket, upload.key, upload.uploadId).catch((error: unknown) => {
        if (!NO_UPLOAD_CODES.has(errorCode(error) ?? '')) throw error;
      });
    }
    return { objects: await this.removePrefix(prefix), uploads: uploads.length };
  }

  /**
   * Sets the bucket's lifecycle: the safety net behind the sweeper (objects expire after
   * `expireAfterDays`, unfinished multipart uploads are aborted). It replaces the bucket's whole
   * lifecycle configuration. Resolves `unsupported` when the server has no lifecycle (NotImplemented).
   */
  async applyLifecycle(rules: LifecycleRules): Promise<'set' | 'unsupported'> {
    const config: LifecycleConfig = {
      Rule: [
        {
          ID: LIFECYCLE_RULE_ID,
          Status: 'Enabled',
          Filter: { Prefix: '' },
          Expiration: { Days: rules.expireAfterDays },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: rules.abortIncompleteUploadsAfterDays },
        },
      ],
    };
    try {
      await this.client.setBucketLifecycle(this.bucket, config);
      return 'set';
    } catch (error) {
      if (UNSUPPORTED_CODES.has(errorCode(error) ?? '')) return 'unsupported';
      throw error;
    }
  }

  /** The bucket's lifecycle rules as the server keeps them, or null when it has none. */
  async lifecycle(): Promise<LifecycleConfig | null> {
    return this.client.getBucketLifecycle(this.bucket);
  }

  /**
   * Removes every object whose key starts with `prefix` and returns how many there were.
   * An empty prefix is refused: it would empty the bucket.
   */
  async removePrefix(prefix: string): Promise<number> {
    if (!prefix) throw new Error('removePrefix needs a non-empty prefix');
    const keys = await this.listKeys(prefix);
    if (keys.length === 0) return 0;
    // minio sends these in batches of 1000 (the S3 limit) and reports per-key failures instead of throwing.
    const results = await this.client.removeObjects(this.bucket, keys);
    const failed = results.filter((result) => result?.Error);
    if (failed.length > 0) {
      const { Key, Code, Message } = failed[0]?.Error ?? {};
      throw new Error(`Could not remove ${failed.length} of ${keys.length} objects under "${prefix}" (first: ${Key}: ${Code} ${Message})`);
    }
    return keys.length;
  }

  /** Empties and deletes the bucket itself (a test's own bucket, never the service's). */
  async destroyBucket(): Promise<void> {
    const keys = await this.listKeys('');
    if (keys.length) await this.client.removeObjects(this.bucket, keys);
    await this.client.removeBucket(this.bucket);
  }

  /** Every key under `prefix`, at any depth, in key order. */
  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const listing = this.client.listObjectsV2(this.bucket, prefix, true);
    for await (const item of listing as AsyncIterable<{ name?: string }>) {
      if (item.name !== undefined) keys.push(item.name);
    }
    return keys;
  }

  /**
   * Resolves when the server answers and accepts our keys (the bucket may still be missing:
   * ensureBucket creates it). Throws when storage is unreachable or slower than `timeoutMs`.
   */
  async ping(timeoutMs = DEFAULT_PING_TIMEOUT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`Object storage did not answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    });
    try {
      await Promise.race([this.client.bucketExists(this.bucket), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `attachment; filename="..."` with the name reduced to letters, digits, space, ".", "_" and "-":
 * safe inside the quoted string, and encoded the same way by every S3 signer and server.
 */
function attachmentHeader(fileName: string): string {
  const safe = fileName.replace(/[^A-Za-z0-9._ -]/g, '_').trim() || 'download';
  return `attachment; filename="${safe}"`;
}

function endpointOptions(url: string, name: string): Pick<ClientOptions, 'endPoint' | 'port' | 'useSSL'> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`ObjectStorage ${name} must be an http(s) URL, got "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`ObjectStorage ${name} must be an http(s) URL, got "${url}"`);
  }
  // minio speaks path-style to the host root; a path prefix would be silently dropped.
  if (parsed.pathname !== '/' || parsed.search || parsed.username) {
    throw new Error(`ObjectStorage ${name} must be a bare origin such as http://127.0.0.1:9000, got "${url}"`);
  }
  const useSSL = parsed.protocol === 'https:';
  return {
    endPoint: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : useSSL ? 443 : 80,
    useSSL,
  };
}

/** The parts of one multipart upload: at most one in flight while the next is filled. */
class MultipartUpload {
  private readonly etags: Array<{ part: number; etag: string }> = [];
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly uploadId: string,
  ) {}

  /** Waits for the part in flight (a failure surfaces here), then starts uploading `part`. */
  async send(part: Buffer): Promise<void> {
    await this.inFlight;
    const partNumber = this.etags.length + 1;
    const upload = this.client.uploadPart({ bucketName: this.bucket, objectName: this.key, uploadID: this.uploadId, partNumber, headers: {} }, part);
    this.etags.push({ part: partNumber, etag: '' });
    this.inFlight = upload.then(({ etag }) => {
      this.etags[partNumber - 1].etag = etag;
    });
    // Handled at the next send or at complete; until then, not an unhandled rejection.
    this.inFlight.catch(() => undefined);
  }

  async complete(): Promise<{ etag: string }> {
    await this.inFlight;
    const { etag } = await this.client.completeMultipartUpload(this.bucket, this.key, this.uploadId, this.etags);
    return { etag };
  }

  async abort(): Promise<void> {
    await this.inFlight.catch(() => undefined);
    await this.client.abortMultipartUpload(this.bucket, this.key, this.uploadId);
  }
}
