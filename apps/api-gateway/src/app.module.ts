import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { exportOutboxMessage } from '@exports/database';
import { OutboxModule } from '@exports/outbox';
import { AppConfig, BodyErrorInterceptor, HttpErrorFilter } from '@exports/platform';
import { ApiKeyCache } from './auth/api-key-cache';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeyRevocations } from './auth/api-key-revocations';
import { ExportEstimatesController, MessageHistoryEstimateController } from './estimates/export-estimates.controller';
import { ExportEstimatesService } from './estimates/export-estimates.service';
import { ExportRowsRepository } from './estimates/export-rows.repository';
import { ExportsController } from './exports/exports.controller';
import { ExportDownloadsController } from './exports/export-downloads.controller';
import { ExportDownloadsService } from './exports/export-downloads.service';
import { ExportsService } from './exports/exports.service';
import { HealthController } from './health/health.controller';
import { HistoryClientModule } from './history/history-client.module';
import { HistoryController } from './history/history.controller';

export const APP = 'api-gateway';

@Module({
  imports: [OutboxModule.forApp(exportOutboxMessage), HistoryClientModule],
  controllers: [ExportsController, ExportEstimatesController, HealthController, HistoryController, MessageHistoryEstimateController, ExportDownloadsController],
  providers: [
    ExportsService,
    ExportDownloadsService,
    ExportEstimatesService,
    ExportRowsRepository,
    { provide: ApiKeyCache, useFactory: (config: AppConfig) => new ApiKeyCache(config.API_KEY_CACHE_TTL_MS, config.API_KEY_CACHE_MAX_ENTRIES), inject: [AppConfig] },
    ApiKeyRevocations,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_INTERCEPTOR, useClass: BodyErrorInterceptor },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
  exports: [ExportsService, ExportEstimatesService],
})
export class AppModule {}
