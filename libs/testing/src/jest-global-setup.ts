import { request } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Relative import: jest loads global setup without the moduleNameMapper that resolves @exports/*.
import { startLocalS3Server, type LocalS3Server } from './s3-local-server';

const LOCAL_HOST = '127.0.0.1';
const LOCAL_PORT = 9000;
const DEFAULT_KEY = 'minioadmin';

/** What setup started, for teardown; jest runs both in one process and shares `globalThis`. */
export interface StartedLocalS3 {
  server: LocalS3Server;
  directory: string;
}

export const LOCAL_S3_HANDLE = Symbol.for('@exports/testing:local-s3-server');

export function startedLocalS3(): { [LOCAL_S3_HANDLE]?: StartedLocalS3 } {
  return globalThis as { [LOCAL_S3_HANDLE]?: StartedLocalS3 };
}

/**
 * Gives the integration and end-to-end tiers an S3 server: the one named by
 * S3_ENDPOINT, else one already on 127.0.0.1:9000 (CI, `npm run s3`), else one started here.
 * Test workers are forked after this runs, so they inherit the S3_* variables set here.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.S3_ENDPOINT) return;

  const accessKey = (process.env.S3_ACCESS_KEY ||= DEFAULT_KEY);
  const secretKey = (process.env.S3_SECRET_KEY ||= DEFAULT_KEY);

  if (await answersHttp(LOCAL_HOST, LOCAL_PORT)) {
    process.env.S3_ENDPOINT = `http://${LOCAL_HOST}:${LOCAL_PORT}`;
    return;
  }

  const directory = await mkdtemp(join(tmpdir(), 'exports-s3-'));
  const server = await startLocalS3Server({
    host: LOCAL_HOST,
    port: LOCAL_PORT,
    directory,
    accessKey,
    secretKey,
    silent: true,
  });
  startedLocalS3()[LOCAL_S3_HANDLE] = { server, directory };
  process.env.S3_ENDPOINT = server.endpoint;
}

/** True if an HTTP server answers on host:port (any status); false if nothing listens there. */
function answersHttp(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = request({ host, port, method: 'HEAD', path: '/', timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      resolve(true);
    });
    probe.on('timeout', () => probe.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    probe.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve(false);
      else reject(new Error(`Port ${port} on ${host} is taken by something that does not answer HTTP like an S3 server (${error.code ?? error.message}); free it or set S3_ENDPOINT`));
    });
    probe.end();
  });
}
