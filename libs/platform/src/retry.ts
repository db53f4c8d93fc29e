import { Logger } from '@nestjs/common';

const logger = new Logger('Startup');

/**
 * Retries a start-up step while a dependency is still coming up (containers start in
 * any order), logging each wait; gives up after `totalMs` with the last error.
 */
export async function retryAtStart<T>(what: string, step: () => Promise<T>, totalMs = 60_000): Promise<T> {
  const deadline = Date.now() + totalMs;
  for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
    try {
      return await step();
    } catch (error) {
      if (Date.now() + wait > deadline) throw error;
      logger.warn({ message: `${what} not reachable yet; retrying`, waitMs: wait, reason: (error as Error).message });
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
