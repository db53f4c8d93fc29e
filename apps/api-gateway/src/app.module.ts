import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { exportOutboxMessage } from '@exports/database';
import { OutboxModule } from '@exports/outbox';
import { BodyErrorInterceptor, HttpErrorFilter } from '@exports/platform';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ExportsController } from './exports/exports.controller';
import { ExportsService } from './exports/exports.service';
import { HealthController } from './health/health.controller';
import { HistoryClientModule } from './history/history-client.module';
import { HistoryController } from './history/history.controller';

export const APP = 'api-gateway';

@Module({
  imports: [OutboxModule.forApp(exportOutboxMessage), HistoryClientModule],
  controllers: [ExportsController, HealthController, HistoryController],
  providers: [
    ExportsService,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_INTERCEPTOR, useClass: BodyErrorInterceptor },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
  exports: [ExportsService],
})
export class AppModule {}
