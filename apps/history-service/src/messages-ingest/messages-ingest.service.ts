import { Injectable } from '@nestjs/common';
import { Consumers, MessageRecordedEvent, MessageStatusEvent, Subjects } from '@exports/contracts';
import { AppConfig, EventIngest, ingestSettings, IngestService, JetStream, Metrics, route } from '@exports/platform';
import { assertStorable, MessageChange } from './message-changes';
import { MessagesStore } from './messages.store';

/** Keeps message history and delivery reports from `platform.messages.*`, in batches. */
@Injectable()
export class MessagesIngestService extends IngestService<MessageChange> {
  constructor(jetStream: JetStream, store: MessagesStore, config: AppConfig, metrics: Metrics) {
    super(
      new EventIngest<MessageChange>(
        jetStream,
        {
          durable: Consumers.historyServiceMessages,
          filterSubject: Subjects.platform.messagesAll,
          routes: {
            [Subjects.platform.messagesRecorded]: route(MessageRecordedEvent, (event) => assertStorable({ kind: 'message', event })),
            [Subjects.platform.messagesStatus]: route(MessageStatusEvent, (event) => assertStorable({ kind: 'report', event })),
          },
          apply: (changes) => store.apply(changes),
          // The store converges whatever the order of batches (one writer at a time, status derived
          // from every report kept): the next batch is validated while this one is written.
          concurrency: 2,
          ...ingestSettings(config),
        },
        metrics,
      ),
    );
  }
}
