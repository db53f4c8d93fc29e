import { Module } from '@nestjs/common';
import { ExportType } from '@exports/contracts';
import { EXPORT_SOURCES } from '@exports/export-files';
import { ExportPipelineModule } from '@exports/export-pipeline';
import { ContactsIngestService } from './contacts-ingest/contacts-ingest.service';
import { ContactsStore } from './contacts-ingest/contacts.store';
import { HousekeepingService } from './housekeeping/housekeeping.service';

export const APP = 'export-worker';

@Module({
  imports: [ExportPipelineModule.register(APP, [EXPORT_SOURCES[ExportType.Contacts], EXPORT_SOURCES[ExportType.DeliveryReports]])],
  providers: [ContactsStore, ContactsIngestService, HousekeepingService],
})
export class AppModule {}
