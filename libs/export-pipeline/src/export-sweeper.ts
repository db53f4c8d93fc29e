import { Logger } from '@nestjs/common';
import { ExportsMaintenanceRepository } from '@exports/database';
import { ObjectStorage } from '@exports/storage';
import { ExportErrorCode } from '@exports/contracts';
import { customerMessage } from './failure';

export interface SweeperSettings {
  intervalSeconds: number;
  maxAttempts: number;
  /** A PENDING run silent this long is retried (or FAILED when its attempts are used up). */
  staleRunSeconds: number;
}

/**
 * Housekeeping on a timer: EXPIRED written (with its event) when links pass, files
 * removed after retention, and runs that stopped heartbeating retried or failed, so
 * no export stays PENDING with nobody on it. Safe to run in every instance.
 */
export class ExportSweeper {
  private readonly logger = new Logger(ExportSweeper.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(
    private readonly maintenance: ExportsMaintenanceRepository,
    private readonly storage: ObjectStorage,
    private readonly settings: SweeperSettings,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.sweeping) this.sweeping = this.sweep().finally(() => (this.sweeping = undefined));
    }, this.settings.intervalSeconds * 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  async sweep(): Promise<void> {
    try {
      const expired = await this.maintenance.expireLinks();
      let purged = 0;
      for (const candidate of await this.maintenance.dueForPurge()) {
        await this.storage.removePrefix(`${candidate.accountId}/${candidate.id}/`);
        await this.maintenance.markPurged(candidate);
        purged += 1;
      }
      const stale = await this.maintenance.sweepStaleRuns(
        this.settings.maxAttempts,
        this.settings.staleRunSeconds,
        customerMessage(ExportErrorCode.Timeout, this.settings.maxAttempts),
      );
      if (expired || purged || stale.failed || stale.redriven) {
        this.logger.log({ message: 'Sweep', linksExpired: expired, filesPurged: purged, staleFailed: stale.failed, staleRedriven: stale.redriven });
      }
    } catch (error) {
      this.logger.warn({ message: 'Sweep failed; will try again', reason: (error as Error).message });
    }
  }
}
