import { Module } from '@nestjs/common';
import { ExportType } from '@exports/contracts';
import { EXPORT_SOURCES } from '@exports/export-files';
import { ExportPipelineModule } from '@exports/export-pipeline';
import { ContactsIngestService } from './contacts-ingest/contacts-ingest.service';
import { ContactsStore } from './contacts-ingest/contacts.store';
import { AppConfig, SecretBox } from '@exports/platform';
import { HousekeepingService } from './housekeeping/housekeeping.service';
import { WebhookDeliveryService } from './webhooks/webhook-delivery.service';
import { WebhookEventsService } from './webhooks/webhook-events.service';

export const APP = 'export-worker';

@Module({
  imports: [ExportPipelineModule.register(APP, [EXPORT_SOURCES[ExportType.Contacts], EXPORT_SOURCES[ExportType.DeliveryReports]])],
  providers: [
    ContactsStore,
    ContactsIngestService,
    HousekeepingService,
    { provide: SecretBox, useFactory: (config: AppConfig) => new SecretBox(config.WEBHOOK_SECRET_KEY), inject: [AppConfig] },
    WebhookEventsService,
    WebhookDeliveryService,
  ],
})
export class AppModule {}
