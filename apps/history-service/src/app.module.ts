import { DynamicModule, Module } from '@nestjs/common';
import { NatsNamespace } from '@exports/contracts';
import { ExportPipelineModule } from '@exports/export-pipeline';
import { AppConfig } from '@exports/platform';
import { historyBrowseController } from './history-browse/history-browse.controller';
import { HistoryBrowseService } from './history-browse/history-browse.service';
import { MessageHistoryExportSource } from './history-export/message-history-export.source';
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
      imports: [ExportPipelineModule.register(APP, [new MessageHistoryExportSource()])],
      controllers: [historyBrowseController(namespace)],
      providers: [MessagesStore, MessagesIngestService, HistoryBrowseService],
    };
  }
}
