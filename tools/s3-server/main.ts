import { resolve } from 'node:path';
import { startLocalS3Server } from '@exports/testing';

/*
 * The local S3 server for machines without MinIO, in the foreground:
 *   node dist/tools/s3-server/main.js
 * S3_LOCAL_PORT (9000), S3_LOCAL_DIR (tmp/s3), S3_ACCESS_KEY / S3_SECRET_KEY (minioadmin).
 * Ctrl-C or SIGTERM stops it; the data stays in S3_LOCAL_DIR for the next start.
 */

function portFromEnv(value: string | undefined): number {
  const port = Number(value ?? '9000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`S3_LOCAL_PORT must be a port number (0-65535), got "${value}"`);
  }
  return port;
}

async function main(): Promise<void> {
  const port = portFromEnv(process.env.S3_LOCAL_PORT);
  const directory = resolve(process.env.S3_LOCAL_DIR || 'tmp/s3');
  const accessKey = process.env.S3_ACCESS_KEY || 'minioadmin';
  const secretKey = process.env.S3_SECRET_KEY || 'minioadmin';

  const server = await startLocalS3Server({ port, directory, accessKey, secretKey, silent: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') throw new Error(`Port ${port} is already in use (another S3 server?); set S3_LOCAL_PORT or stop it`);
    throw error;
  });
  console.log(`S3 server listening on ${server.endpoint} (data in ${directory})`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second Ctrl-C while closing means "now".
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`S3 server stopping (${signal})`);
    server.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        console.error('S3 server did not close cleanly:', error);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
