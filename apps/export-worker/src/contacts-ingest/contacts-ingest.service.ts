import { Injectable, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { ContactDeletedEvent, Consumers, ContactUpsertedEvent, Subjects } from '@exports/contracts';
import { AppConfig, EventIngest, JetStream, Metrics, route } from '@exports/platform';
import { ContactChange, ContactsStore } from './contacts.store';

/** Keeps the contacts read model from `platform.contacts.*`. */
@Injectable()
export class ContactsIngestService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly ingest: EventIngest<ContactChange>;

  constructor(jetStream: JetStream, store: ContactsStore, config: AppConfig, metrics: Metrics) {
    this.ingest = new EventIngest<ContactChange>(
      jetStream,
      {
        durable: Consumers.exportWorkerContacts,
        filterSubject: Subjects.platform.contactsAll,
        routes: {
          [Subjects.platform.contactsUpserted]: route(ContactUpsertedEvent, (event) => ({ kind: 'upsert', event })),
          [Subjects.platform.contactsDeleted]: route(ContactDeletedEvent, (event) => ({ kind: 'delete', event })),
        },
        apply: (changes) => store.apply(changes),
        batchSize: 500,
        ackWaitSeconds: config.EXPORT_ACK_WAIT_SECONDS,
        retry: { baseMs: config.INGEST_RETRY_BASE_MS, maxMs: config.INGEST_RETRY_MAX_MS },
      },
      metrics,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.ingest.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.ingest.stop();
  }
}
