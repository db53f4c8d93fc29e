import { accountSubject, NatsNamespace, Subjects } from '@exports/contracts';
import { JetStream, natsConnectionOptions, NatsSettings } from '@exports/platform';
import { demoContact, demoMessage, Random } from './demo-data';

export interface SeedProgress {
  /** Contacts and messages published so far, over every account. */
  done: number;
  total: number;
  contacts: number;
  messages: number;
  reports: number;
}

export interface SeedDemoOptions {
  /** NATS server(s) and the credentials of an identity that may publish `platform.*` (the admin identity). */
  nats: NatsSettings;
  /** NATS_NAMESPACE of the stack; empty or absent in production-like setups. */
  namespace?: string;
  accountIds: readonly string[];
  /** Per account. */
  contacts: number;
  /** Per account. */
  messages: number;
  /** Same seed, same data (ids, texts, times relative to `now`). Default 1. */
  seed?: number;
  /** "Now" for the generated times; default the current time. */
  now?: Date;
  /** Publishes waiting for their acks at once. */
  inFlight?: number;
  onProgress?: (progress: SeedProgress) => void;
}

export interface SeedSummary {
  contacts: number;
  messages: number;
  reports: number;
}

const CHUNK = 500;

/**
 * Publishes demo data through the ingestion subjects, as the platform's own services
 * would: contacts on `platform.contacts.upserted`, then per chunk of messages the
 * messages on `platform.messages.recorded` followed by their delivery reports on
 * `platform.messages.status`. Creates the PLATFORM stream if no app has yet.
 */
export async function seedDemo(options: SeedDemoOptions): Promise<SeedSummary> {
  const now = (options.now ?? new Date()).getTime();
  const jetStream = await JetStream.connect(natsConnectionOptions(options.nats, 'admin', 'seed'), new NatsNamespace(options.namespace ?? ''));
  const summary: SeedSummary = { contacts: 0, messages: 0, reports: 0 };
  const total = options.accountIds.length * (options.contacts + options.messages);
  const report = () => options.onProgress?.({ done: summary.contacts + summary.messages, total, ...summary });
  const publisher = new WindowedPublisher(jetStream, options.inFlight ?? 256);
  try {
    await jetStream.ensureStreams(['platform']);
    report();
    for (const [accountIndex, accountId] of options.accountIds.entries()) {
      const random = new Random((options.seed ?? 1) * 1_000_003 + accountIndex);
      const accountTag = accountId.replace(/-/g, '').slice(0, 8);
      const phones: string[] = [];
      for (let i = 0; i < options.contacts; i++) {
        const contact = demoContact(random, i, now);
        if (contact.phoneNumber) phones.push(contact.phoneNumber);
        await publisher.publish(accountSubject(Subjects.platform.contactsUpserted, accountId), { accountId, contact });
        summary.contacts += 1;
        if (summary.contacts % CHUNK === 0) report();
      }
      for (let start = 0; start < options.messages; start += CHUNK) {
        const chunk = Array.from({ length: Math.min(CHUNK, options.messages - start) }, (_, i) => demoMessage(random, accountTag, start + i, now, phones));
        for (const { message } of chunk) await publisher.publish(accountSubject(Subjects.platform.messagesRecorded, accountId), { accountId, message });
        for (const { reports } of chunk) {
          for (const status of reports) await publisher.publish(accountSubject(Subjects.platform.messagesStatus, accountId), { accountId, ...status });
          summary.reports += reports.length;
        }
        summary.messages += chunk.length;
        report();
      }
    }
    await publisher.drain();
    report();
    return summary;
  } finally {
    await jetStream.close();
  }
}

/** Keeps up to `size` publishes waiting for their stream acks; the first failure stops the run. */
class WindowedPublisher {
  private readonly pending = new Set<Promise<void>>();
  private failure?: unknown;

  constructor(
    private readonly jetStream: JetStream,
    private readonly size: number,
  ) {}

  async publish(subject: string, payload: unknown): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.pending.size >= this.size) await Promise.race(this.pending);
    const sent: Promise<void> = this.jetStream.publish(subject, payload).then(
      () => undefined,
      (error: unknown) => {
        this.failure ??= error;
      },
    );
    const tracked = sent.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  async drain(): Promise<void> {
    await Promise.all(this.pending);
    if (this.failure) throw this.failure;
  }
}
