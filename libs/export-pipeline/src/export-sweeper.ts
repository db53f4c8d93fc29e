import { Logger } from '@nestjs/common';
import { ExportsMaintenanceRepository } from '@exports/database';
import { ObjectStorage } from '@exports/storage';
import { ExportErrorCode } from '@exports/contracts';
import { exportObjectPrefix, exportRunPrefix } from '@exports/export-files';
import { customerMessage } from './failure';

export interface SweeperSettings {
  intervalSeconds: number;
  maxAttempts: number;
  /** A PENDING run silent this long is retried (or FAILED when its attempts are used up). */
  staleRunSeconds: number;
  /** Finished exports, rows and files, are removed this many days after their last outcome. */
  recordRetentionDays: number;
}

/** Rows removed by one sweep at most; the next sweep goes on. */
const RECORDS_PER_SWEEP = 100;

/**
 * Housekeeping on a timer: EXPIRED written (with its event) when links pass, files
 * removed after retention, runs that stopped heartbeating retried or failed (what they
 * wrote removed), so no export stays PENDING with nobody on it, and finished exports
 * removed, rows and files, after the record retention. Safe to run in every instance.
 * A file is marked purged before its object is deleted, and only the object the row
 * recorded is deleted: a regenerate meanwhile runs under a key of its own.
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
      const purged = await this.purgeFiles();
      const stale = await this.maintenance.sweepStaleRuns(
        this.settings.maxAttempts,
        this.settings.staleRunSeconds,
        customerMessage(ExportErrorCode.Timeout, this.settings.maxAttempts),
      );
      for (const run of stale.failed) {
        await this.storage.discard(exportRunPrefix(run.accountId, run.id, run.run)).catch((error: unknown) => {
          this.logger.warn({ message: 'Could not remove what an abandoned run wrote', exportId: run.id, accountId: run.accountId, reason: (error as Error).message });
        });
      }
      const records = await this.maintenance.removeExpiredRecords(this.settings.recordRetentionDays, RECORDS_PER_SWEEP, async (removed) => {
        for (const record of removed) await this.storage.discard(exportObjectPrefix(record.accountId, record.id));
      });
      if (expired || purged || stale.failed.length || stale.redriven || records) {
        this.logger.log({
          message: 'Sweep',
          linksExpired: expired,
          filesPurged: purged,
          staleFailed: stale.failed.length,
          staleRedriven: stale.redriven,
          recordsRemoved: records,
        });
      }
    } catch (error) {
      this.logger.warn({ message: 'Sweep failed; will try again', reason: (error as Error).message });
    }
  }

  /** Files past retention: each row is marked first, then every object it recorded is deleted. */
  async purgeFiles(): Promise<number> {
    let purged = 0;
    for (const candidate of await this.maintenance.claimPurges()) {
      try {
        for (const key of candidate.objectKeys) await this.storage.remove(key);
        purged += 1;
      } catch (error) {
        await this.maintenance.releasePurge(candidate).catch(() => undefined);
        this.logger.warn({ message: 'Could not remove a file past retention; will try again', exportId: candidate.id, accountId: candidate.accountId, reason: (error as Error).message });
      }
    }
    return purged;
  }
}
