import { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from './config';
import { EventIngest, IngestOptions } from './event-ingest';

/** The timings every ingestion shares, from the config: ack wait and the retry backoff. */
export function ingestTimings(config: AppConfig): Pick<IngestOptions<unknown>, 'ackWaitSeconds' | 'retry'> {
  return { ackWaitSeconds: config.EXPORT_ACK_WAIT_SECONDS, retry: { baseMs: config.INGEST_RETRY_BASE_MS, maxMs: config.INGEST_RETRY_MAX_MS } };
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
