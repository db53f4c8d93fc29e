import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ExportsMaintenanceRepository } from '@exports/database';
import { ExportSweeper } from '@exports/export-pipeline';
import { AppConfig } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';

/** Runs the export sweeper (link expiry, file and record retention, stalled runs) for every export type. */
@Injectable()
export class HousekeepingService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly sweeper: ExportSweeper;

  constructor(dataSource: DataSource, storage: ObjectStorage, config: AppConfig) {
    this.sweeper = new ExportSweeper(new ExportsMaintenanceRepository(dataSource), storage, {
      intervalSeconds: config.EXPORT_SWEEP_INTERVAL_SECONDS,
      maxAttempts: config.EXPORT_MAX_ATTEMPTS,
      staleRunSeconds: config.EXPORT_STALE_RUN_SECONDS,
      recordRetentionDays: config.EXPORT_RECORD_RETENTION_DAYS,
    });
  }

  onApplicationBootstrap(): void {
    this.sweeper.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
  }
}
