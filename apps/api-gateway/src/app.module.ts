import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { exportOutboxMessage } from '@exports/database';
import { OutboxModule } from '@exports/outbox';
import { AppConfig, BodyErrorGuard, HttpErrorFilter, SecretBox } from '@exports/platform';
import { ApiKeyCache } from './auth/api-key-cache';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeyRevocations } from './auth/api-key-revocations';
import { ExportEstimatesController, MessageHistoryEstimateController } from './estimates/export-estimates.controller';
import { ExportEstimatesService } from './estimates/export-estimates.service';
import { ExportRowsRepository } from './estimates/export-rows.repository';
import { ExportsController } from './exports/exports.controller';
import { ExportCancelController } from './exports/export-cancel.controller';
import { ExportCancelService } from './exports/export-cancel.service';
import { ExportRunCancellations } from './exports/export-run-cancellations';
import { ExportDownloadsController } from './exports/export-downloads.controller';
import { ExportDownloadsService } from './exports/export-downloads.service';
import { ExportsService } from './exports/exports.service';
import { HealthController } from './health/health.controller';
import { HistoryClient } from './history/history.client';
import { HistoryController } from './history/history.controller';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksService } from './webhooks/webhooks.service';

export const APP = 'api-gateway';

@Module({
  imports: [OutboxModule.forApp(exportOutboxMessage)],
  controllers: [ExportsController, ExportEstimatesController, HealthController, HistoryController, MessageHistoryEstimateController, WebhooksController, ExportCancelController, ExportDownloadsController],
  providers: [
    HistoryClient,
    ExportsService,
    ExportCancelService,
    ExportRunCancellations,
    ExportDownloadsService,
    ExportEstimatesService,
    ExportRowsRepository,
    WebhooksService,
    { provide: SecretBox, useFactory: (config: AppConfig) => new SecretBox(config.WEBHOOK_SECRET_KEY), inject: [AppConfig] },
    { provide: ApiKeyCache, useFactory: (config: AppConfig) => new ApiKeyCache(config.API_KEY_CACHE_TTL_MS, config.API_KEY_CACHE_MAX_ENTRIES), inject: [AppConfig] },
    ApiKeyRevocations,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: BodyErrorGuard },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
  exports: [ExportsService, ExportEstimatesService, ExportCancelService, ExportDownloadsService],
})
export class AppModule {}
