import { Module } from '@nestjs/common';
import { ExportPipelineModule } from '@exports/export-pipeline';
import { ContactsExportSource } from './contacts-export/contacts-export.source';
import { ContactsIngestService } from './contacts-ingest/contacts-ingest.service';
import { ContactsStore } from './contacts-ingest/contacts.store';
import { DeliveryReportsExportSource } from './delivery-reports-export/delivery-reports-export.source';
import { HousekeepingService } from './housekeeping/housekeeping.service';

export const APP = 'export-worker';

@Module({
  imports: [ExportPipelineModule.register(APP, [new ContactsExportSource(), new DeliveryReportsExportSource()])],
  providers: [ContactsStore, ContactsIngestService, HousekeepingService],
})
export class AppModule {}
