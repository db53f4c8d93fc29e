import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * An S3-compatible server in this process, standing in for MinIO where none can be
 * installed (README, "Two commands"). `@20minutes/s3rver` checks V4
 * signatures and presigned-link expiry, which is why it is used; it ships no types,
 * so the few parts we touch are typed below.
 */

type QueryValue = string | string[] | undefined;

/** The slice of a Koa context the hooks below read and write. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, QueryValue>;
  headers: Record<string, QueryValue>;
  status: number;
  body: unknown;
  /** s3rver's filesystem store, on Koa's shared context. */
  store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
}

type KoaMiddleware = ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>) & { router?: unknown };

interface S3rverOptions {
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
  allowMismatchedSignatures: boolean;
  resetOnClose: boolean;
}

/** The part of s3rver's filesystem store used or replaced below. */
interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  deleteObject(bucket: string, key: string): Promise<void>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObjectMultipart(bucket: string, uploadId: string, parts: Array<{ number: number; etag: string }>): Promise<{ md5: string; size: number }>;
}

/** S3rver extends Koa: `middleware` is Koa's own list, composed by `callback()`. */
interface S3rverApp {
  middleware: KoaMiddleware[];
  store: FilesystemStore;
  /** What `close()` closes; s3rver's own `run()` would set it. */
  httpServer?: Server;
  logger: { close(): void };
  callback(): RequestListener;
  close(): Promise<void>;
}

interface S3ErrorInstance extends Error {
  code: string;
}

interface AwsAccount {
  accessKeys: Map<string, string>;
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}

interface AwsAccountModule {
  registry: Map<string, AwsAccount>;
  DUMMY_ACCOUNT: AwsAccount;
}

// No type declarations ship with s3rver; deep paths are plain CommonJS files (no "exports" map).
const S3rver = require('@20minutes/s3rver') as new (options: S3rverOptions) => S3rverApp;
const S3Error = require('@20minutes/s3rver/lib/models/error') as new (code: string, message: string) => S3ErrorInstance;
const AwsAccounts = require('@20minutes/s3rver/lib/models/account') as AwsAccountModule;
const S3Object = require('@20minutes/s3rver/lib/models/object') as new (bucket: string, key: string, content: null, metadata: Record<string, string>) => { metadata: Record<string, string> };

export interface LocalS3ServerOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Default 9000; 0 picks a free port (read it from `endpoint`). */
  port?: number;
  /** Where buckets and objects are kept on disk; created if missing. */
  directory: string;
  accessKey: string;
  secretKey: string;
  /** Default true: no line per request on the console. */
  silent?: boolean;
}

export interface LocalS3Server {
  /** Base URL for S3 clients, e.g. http://127.0.0.1:9000. */
  readonly endpoint: string;
  /** Stops listening, drops open connections and forgets the key pair registered at start. */
  close(): Promise<void>;
}

const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * Starts s3rver on `host:port` with the given key pair, plus two adjustments that make it
 * behave like a private MinIO bucket for the `minio` client:
 * - `GET /<bucket>?uploads` lists the multipart uploads in progress and `DELETE /<bucket>/<key>?uploadId=`
 *   aborts one (s3rver answers NotImplemented and MethodNotAllowed, yet keeps the parts on disk
 *   until the upload completes), so a test can see that nothing was left behind;
 * - a request that carries no signature at all is refused with 403 AccessDenied (s3rver
 *   serves unsigned requests as if every bucket were public);
 * - deleting an object leaves its folder on disk (s3rver removes a folder its delete emptied, so
 *   parallel deletes in one folder fail with 500 and a put that just created the folder loses it;
 *   listings show files only, so an empty folder is invisible to clients);
 * - completing a multipart upload appends the parts as they are and gives the object S3's
 *   multipart ETag ({@link assembleUpload}), without a second pass that hashes the whole object.
 * Signature checks, presigned-link expiry and bucket existence stay s3rver's own.
 */
export async function startLocalS3Server(options: LocalS3ServerOptions): Promise<LocalS3Server> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 9000;
  if (!options.accessKey || !options.secretKey) {
    throw new Error('startLocalS3Server needs a non-empty accessKey and secretKey');
  }
  await mkdir(options.directory, { recursive: true });

  const app = new S3rver({
    directory: options.directory,
    silent: options.silent ?? true,
    // Path-style only, like the minio client: a host name such as "minio" must not be read as a bucket.
    vhostBuckets: false,
    allowMismatchedSignatures: false,
    resetOnClose: false,
  });
  insertBeforeRouter(app, [rejectUnsignedRequests, multipartUploads]);
  app.store.deleteObject = (bucket, key) => deleteObjectFiles(app.store, bucket, key);
  app.store.putObjectMultipart = (bucket, uploadId, parts) => assembleUpload(app.store, bucket, uploadId, parts);

  // Listen ourselves rather than through app.run(): s3rver leaves a listen error (EADDRINUSE)
  // unhandled, which kills the process instead of rejecting.
  const server = createServer(app.callback());
  // Longer than the client agents' idle timeout, so a client never reuses a socket the server just closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const releaseKeys = registerKeyPair(options.accessKey, options.secretKey);
  let address: AddressInfo;
  try {
    address = await listen(server, port, host);
  } catch (error) {
    releaseKeys();
    app.logger.close();
    throw error;
  }
  app.httpServer = server;
  server.on('close', () => app.logger.close());

  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${endpointHost(address.address)}:${address.port}`,
    close: () => {
      closing ??= (async () => {
        const closed = app.close();
        // close() alone waits for keep-alive sockets of every client that ever connected.
        server.closeAllConnections();
        try {
          await closed;
        } finally {
          releaseKeys();
        }
      })();
      return closing;
    },
  };
}

/** An object's three files, each gone already or removed now; its folder stays. */
async function deleteObjectFiles(store: FilesystemStore, bucket: string, key: string): Promise<void> {
  const files = ['object', 'object.md5', 'metadata.json'].map((resource) => store.getResourcePath(bucket, key, resource));
  await Promise.all(
    files.map((file) =>
      unlink(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      }),
    ),
  );
}

/**
 * Completes a multipart upload as S3 and MinIO do: the parts, in order, become the object (appended
 * one at a time through one 1 MiB buffer, not a part-sized one per part), and its ETag is the MD5
 * of the parts' binary MD5s followed by "-<number of parts>". s3rver's own completion streamed the parts into the object
 * through a second MD5 of every byte: for a 163 MB file, 0.6-0.7 s at the end of the upload, which
 * no real S3 spends. The object is assembled beside the parts and renamed into place, so a reader
 * never sees half of it.
 */
async function assembleUpload(store: FilesystemStore, bucket: string, uploadId: string, parts: Array<{ number: number; etag: string }>): Promise<{ md5: string; size: number }> {
  const uploadDir = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  const [key, metadata] = await Promise.all([
    readFile(join(uploadDir, 'key'), 'utf8'),
    readFile(join(uploadDir, 'metadata'), 'utf8').then((json) => JSON.parse(json) as Record<string, string>),
  ]);
  const assembled = join(uploadDir, 'assembled');
  const digests: Buffer[] = [];
  let size = 0;
  // Truncated first: what a completion that failed half-way wrote.
  const target = await open(assembled, 'w');
  const buffer = Buffer.allocUnsafe(COPY_BUFFER_BYTES);
  try {
    for (const part of [...parts].sort((a, b) => a.number - b.number)) {
      const partPath = join(uploadDir, String(part.number));
      const md5 = await readFile(`${partPath}.md5`, 'utf8').catch(() => undefined);
      if (md5 !== part.etag) throw new S3Error('InvalidPart', `Part ${part.number} was not uploaded with the ETag given`);
      size += await appendPart(partPath, target, buffer);
      digests.push(Buffer.from(md5, 'hex'));
    }
  } finally {
    await target.close();
  }
  const objectPath = store.getResourcePath(bucket, key, 'object');
  await mkdir(dirname(objectPath), { recursive: true });
  await rename(assembled, objectPath);
  const md5 = `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${digests.length}`;
  await store.putMetadata(bucket, key, new S3Object(bucket, key, null, metadata).metadata, md5);
  await rm(uploadDir, { recursive: true, force: true });
  return { md5, size };
}

/** The size of the buffer a completion copies its parts through. */
const COPY_BUFFER_BYTES = 1024 * 1024;

/** Appends the part file at `path` to `target` through `buffer` (the completion's own); returns its size. */
async function appendPart(path: string, target: FileHandle, buffer: Buffer): Promise<number> {
  const source = await open(path, 'r');
  try {
    let copied = 0;
    for (;;) {
      const { bytesRead } = await source.read(buffer, 0, buffer.length, copied);
      if (bytesRead === 0) return copied;
      await target.write(buffer, 0, bytesRead);
      copied += bytesRead;
    }
  } finally {
    await source.close();
  }
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Our hooks must run after s3rver's XML encoder and vhost rewrite but before its router. */
function insertBeforeRouter(app: S3rverApp, hooks: KoaMiddleware[]): void {
  const routerIndex = app.middleware.findIndex((middleware) => middleware.router !== undefined);
  if (routerIndex < 0) {
    throw new Error('s3rver layout changed: no router middleware found to hook before');
  }
  app.middleware.splice(routerIndex, 0, ...hooks);
}

/**
 * s3rver keeps key pairs in one process-wide registry; register ours and return how to undo it.
 * A key id registered before us (S3RVER, or another server in this process) is restored, not removed.
 */
function registerKeyPair(accessKey: string, secretKey: string): () => void {
  const previousAccount = AwsAccounts.registry.get(accessKey);
  const previousSecret = previousAccount?.accessKeys.get(accessKey);
  AwsAccounts.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (previousAccount && previousSecret !== undefined) {
      previousAccount.createKeyPair(accessKey, previousSecret);
    } else {
      AwsAccounts.DUMMY_ACCOUNT.revokeAccessKey(accessKey);
    }
  };
}

const rejectUnsignedRequests: KoaMiddleware = async (ctx, next) => {
  const signed = 'authorization' in ctx.headers || 'X-Amz-Algorithm' in ctx.query || 'Signature' in ctx.query;
  // OPTIONS is a CORS preflight, which S3 answers without credentials.
  if (!signed && ctx.method !== 'OPTIONS') {
    throw new S3Error('AccessDenied', 'Access Denied');
  }
  await next();
};

/**
 * Lets s3rver authenticate the request and check the bucket first (they run inside its router),
 * then answers what it leaves out of multipart uploads: the list of uploads in progress, and abort.
 * s3rver keeps an upload's parts in `<bucket>/._S3rver_uploads/<uploadId>/` with its key beside them.
 */
const multipartUploads: KoaMiddleware = async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    const code = error instanceof Error ? (error as S3ErrorInstance).code : undefined;
    const bucket = /^\/([^/]+)\/?$/.exec(ctx.path)?.[1];
    if (code === 'NotImplemented' && ctx.method === 'GET' && bucket !== undefined && 'uploads' in ctx.query) {
      await listUploads(ctx, bucket);
      return;
    }
    const object = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    const uploadId = firstValue(ctx.query.uploadId);
    if (code === 'MethodNotAllowed' && ctx.method === 'DELETE' && object && /^[0-9a-f]+$/.test(uploadId)) {
      const directory = join(ctx.store.getResourcePath(object[1], undefined, 'uploads'), uploadId);
      if (!(await stat(directory).catch(() => undefined))) throw new S3Error('NoSuchUpload', 'The specified upload does not exist.');
      await rm(directory, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = null;
      return;
    }
    throw error;
  }
};

async function listUploads(ctx: KoaContext, bucket: string): Promise<void> {
  const prefix = firstValue(ctx.query.prefix);
  const root = ctx.store.getResourcePath(bucket, undefined, 'uploads');
  const uploads: Array<{ Key: string; UploadId: string; Initiated: string; StorageClass: string }> = [];
  for (const uploadId of await readdir(root).catch(() => [] as string[])) {
    // An upload completed or aborted meanwhile is gone from the listing, not an error.
    const key = await readFile(join(root, uploadId, 'key'), 'utf8').catch(() => undefined);
    if (key === undefined || !key.startsWith(prefix)) continue;
    const started = await stat(join(root, uploadId, 'key')).catch(() => undefined);
    if (!started) continue;
    uploads.push({ Key: key, UploadId: uploadId, Initiated: started.mtime.toISOString(), StorageClass: 'STANDARD' });
  }
  uploads.sort((a, b) => (a.Key === b.Key ? a.UploadId.localeCompare(b.UploadId) : a.Key < b.Key ? -1 : 1));
  ctx.status = 200;
  // A plain object body is encoded as XML by s3rver's own response middleware; '@' holds attributes.
  ctx.body = {
    ListMultipartUploadsResult: {
      '@': { xmlns: S3_XMLNS },
      Bucket: bucket,
      KeyMarker: firstValue(ctx.query['key-marker']),
      UploadIdMarker: firstValue(ctx.query['upload-id-marker']),
      NextKeyMarker: '',
      NextUploadIdMarker: '',
      Delimiter: firstValue(ctx.query.delimiter),
      Prefix: prefix,
      MaxUploads: Number(firstValue(ctx.query['max-uploads']) || 1000),
      IsTruncated: false,
      ...(uploads.length ? { Upload: uploads } : {}),
    },
  };
}

function firstValue(value: QueryValue): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/** A wildcard bind is reached through loopback; IPv6 literals need brackets in a URL. */
function endpointHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
