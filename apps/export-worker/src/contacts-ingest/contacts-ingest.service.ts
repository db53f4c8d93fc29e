import { Injectable } from '@nestjs/common';
import { ContactDeletedEvent, Consumers, ContactUpsertedEvent, Subjects } from '@exports/contracts';
import { AppConfig, EventIngest, ingestSettings, IngestService, JetStream, Metrics, route } from '@exports/platform';
import { ContactChange, ContactsStore } from './contacts.store';

/** Keeps the contacts read model from `platform.contacts.*`. */
@Injectable()
export class ContactsIngestService extends IngestService<ContactChange> {
  constructor(jetStream: JetStream, store: ContactsStore, config: AppConfig, metrics: Metrics) {
    super(
      new EventIngest<ContactChange>(
        jetStream,
        {
          durable: Consumers.exportWorkerContacts,
          filterSubject: Subjects.platform.contactsAll,
          routes: {
            [Subjects.platform.contactsUpserted]: route(ContactUpsertedEvent, (event) => ({ kind: 'upsert', event })),
            [Subjects.platform.contactsDeleted]: route(ContactDeletedEvent, (event) => ({ kind: 'delete', event })),
          },
          apply: (changes) => store.apply(changes),
          ...ingestSettings(config),
        },
        metrics,
      ),
    );
  }
}
