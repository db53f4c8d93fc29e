import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ExportsMaintenanceRepository, WebhookDeliveriesRepository } from '@exports/database';
import { ExportSweeper } from '@exports/export-pipeline';
import { AppConfig, JetStream } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';
import { WebhookRedriver } from '../webhooks/webhook-redriver';

/**
 * Runs the export sweeper (link expiry, file and record retention, stalled runs) for every export
 * type, and on the same interval re-drives webhook deliveries whose job was lost.
 */
@Injectable()
export class HousekeepingService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(HousekeepingService.name);
  private readonly sweeper: ExportSweeper;
  private readonly redriver: WebhookRedriver;
  private timer?: NodeJS.Timeout;
  private redriving?: Promise<void>;

  constructor(
    dataSource: DataSource,
    storage: ObjectStorage,
    jetStream: JetStream,
    deliveries: WebhookDeliveriesRepository,
    private readonly config: AppConfig,
  ) {
    this.sweeper = new ExportSweeper(new ExportsMaintenanceRepository(dataSource), storage, {
      intervalSeconds: config.EXPORT_SWEEP_INTERVAL_SECONDS,
      maxAttempts: config.EXPORT_MAX_ATTEMPTS,
      staleRunSeconds: config.EXPORT_STALE_RUN_SECONDS,
      recordRetentionDays: config.EXPORT_RECORD_RETENTION_DAYS,
    });
    this.redriver = new WebhookRedriver(deliveries, jetStream, config.WEBHOOK_REDRIVE_AFTER_SECONDS);
  }

  onApplicationBootstrap(): void {
    this.sweeper.start();
    this.timer = setInterval(() => {
      if (!this.redriving) this.redriving = this.redrive().finally(() => (this.redriving = undefined));
    }, this.config.EXPORT_SWEEP_INTERVAL_SECONDS * 1000);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([this.sweeper.stop(), this.redriving]);
  }

  private async redrive(): Promise<void> {
    try {
      await this.redriver.sweep();
    } catch (error) {
      this.logger.warn({ message: 'Webhook re-drive sweep failed; will try again', reason: (error as Error).message });
    }
  }
}
