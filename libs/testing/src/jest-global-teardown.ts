import { rm } from 'node:fs/promises';
import { LOCAL_S3_HANDLE, startedLocalS3 } from './jest-global-setup';

/** Stops the S3 server only if global setup started it, and removes its temporary data. */
export default async function globalTeardown(): Promise<void> {
  const holder = startedLocalS3();
  const started = holder[LOCAL_S3_HANDLE];
  if (!started) return;
  delete holder[LOCAL_S3_HANDLE];
  await started.server.close();
  // In watch mode the next run starts in this same process: let its setup start a fresh server.
  if (process.env.S3_ENDPOINT === started.server.endpoint) delete process.env.S3_ENDPOINT;
  await rm(started.directory, { recursive: true, force: true });
}
