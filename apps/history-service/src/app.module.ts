import { DynamicModule, Module } from '@nestjs/common';
import { ExportType, NatsNamespace } from '@exports/contracts';
import { EXPORT_SOURCES } from '@exports/export-files';
import { ExportPipelineModule } from '@exports/export-pipeline';
import { AppConfig } from '@exports/platform';
import { historyBrowseController } from './history-browse/history-browse.controller';
import { HistoryBrowseService } from './history-browse/history-browse.service';
import { MessagesIngestService } from './messages-ingest/messages-ingest.service';
import { MessagesStore } from './messages-ingest/messages.store';

export const APP = 'history-service';

/** Message history: ingestion, browsing (`history.browse` request-reply) and the message-history export. */
@Module({})
export class AppModule {
  /** Request-reply subjects carry the namespace of the config, so the module is built from it. */
  static forConfig(config: AppConfig): DynamicModule {
    const namespace = new NatsNamespace(config.NATS_NAMESPACE);
    return {
      module: AppModule,
      imports: [ExportPipelineModule.register(APP, [EXPORT_SOURCES[ExportType.MessageHistory]])],
      controllers: [historyBrowseController(namespace)],
      providers: [MessagesStore, MessagesIngestService, HistoryBrowseService],
    };
  }
}
