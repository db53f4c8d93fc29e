import { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from './config';
import { EventIngest, IngestOptions } from './event-ingest';

/** What every ingestion takes from the config: ack wait, retry backoff and batch size. */
export function ingestSettings(config: AppConfig): Pick<IngestOptions<unknown>, 'ackWaitSeconds' | 'retry' | 'batchSize'> {
  return {
    ackWaitSeconds: config.EXPORT_ACK_WAIT_SECONDS,
    retry: { baseMs: config.INGEST_RETRY_BASE_MS, maxMs: config.INGEST_RETRY_MAX_MS },
    batchSize: config.INGEST_BATCH_SIZE,
  };
}

/** An app service that runs one ingestion with the app: started at bootstrap, drained before shutdown. */
export abstract class IngestService<Change> implements OnApplicationBootstrap, BeforeApplicationShutdown {
  protected constructor(private readonly ingest: EventIngest<Change>) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ingest.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.ingest.stop();
  }
}
