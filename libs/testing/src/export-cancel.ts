import { AppName } from './app-process';
import { waitUntil } from './reliability';
import { TestStack } from './test-stack';

/** What the runner logs once a cancelled run has stopped and removed what it wrote. */
export const CANCELLED_RUN_STOPPED = 'Export run stopped: cancelled; what it wrote was removed';

/** The log line (parsed) of `app` saying the run of `exportId` stopped for a cancel, once it is written. */
export async function cancelledRunStopped(stack: TestStack, app: AppName, exportId: string): Promise<{ time: string; seenBy: string; run: number }> {
  const find = () =>
    stack
      .logsOf(app)
      .filter((line) => line.includes(exportId) && line.includes(CANCELLED_RUN_STOPPED))
      .map((line) => JSON.parse(line));
  await waitUntil(`stop of ${exportId} logged`, () => find().length > 0, 30_000, 20);
  return find()[0];
}

/** Nothing of the export in the stack's bucket: no object, no multipart upload in progress. */
export async function storedUnder(stack: TestStack, accountId: string, exportId: string): Promise<{ objects: string[]; uploads: string[] }> {
  const prefix = `${accountId}/${exportId}/`;
  return {
    objects: await stack.storage.listKeys(prefix),
    uploads: (await stack.storage.incompleteUploads(prefix)).map((upload) => upload.key),
  };
}
