import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { OutboxRelayModule } from '@exports/export-pipeline';
import { HttpErrorFilter } from '@exports/platform';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ExportsController } from './exports/exports.controller';
import { ExportsService } from './exports/exports.service';
import { HealthController } from './health/health.controller';

export const APP = 'api-gateway';

@Module({
  imports: [OutboxRelayModule],
  controllers: [ExportsController, HealthController],
  providers: [
    ExportsService,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
})
export class AppModule {}
