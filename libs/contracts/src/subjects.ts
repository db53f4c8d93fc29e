import { ExportType } from './enums';
import { exportSlug } from './export-kinds';

/**
 * NATS subjects and JetStream streams. Apps never spell a subject themselves:
 * they take it from here, through a {@link NatsNamespace} so that test runs and
 * side-by-side deployments can live on one NATS server without colliding.
 */
export const Subjects = {
  /** `exports.requested.<slug>` per type (`exports.requested.delivery-reports`). */
  exportRequested: Object.fromEntries(Object.values(ExportType).map((type) => [type, `exports.requested.${exportSlug(type)}`])) as Record<ExportType, string>,
  exportEvents: {
    completed: 'exports.events.completed',
    failed: 'exports.events.failed',
    expired: 'exports.events.expired',
    cancelled: 'exports.events.cancelled',
  },
  /** A run to stop now ({@link ExportRunCancelledEvent}); core NATS, every worker instance gets it. */
  exportRunCancelled: 'exports.run-cancelled',
  /** `webhooks.deliveries.<accountId>`: one message per webhook delivery to make ({@link WebhookDeliveryJob}). */
  webhookDeliveries: 'webhooks.deliveries',
  requests: {
    exportsCreate: 'exports.create',
    exportsGet: 'exports.get',
    exportsList: 'exports.list',
    exportsEstimate: 'exports.estimate',
    exportsCancel: 'exports.cancel',
    exportsDownloads: 'exports.downloads',
    historyBrowse: 'history.browse',
  },
  platform: {
    contactsUpserted: 'platform.contacts.upserted',
    contactsDeleted: 'platform.contacts.deleted',
    messagesRecorded: 'platform.messages.recorded',
    messagesStatus: 'platform.messages.status',
    contactsAll: 'platform.contacts.>',
    messagesAll: 'platform.messages.>',
  },
  auth: {
    /** Keys that stopped authenticating ({@link ApiKeysRevokedEvent}); core NATS, every gateway instance gets it. */
    apiKeysRevoked: 'auth.api-keys.revoked',
  },
  deadLetters: {
    all: 'dead-letter.>',
    /** Where an event that cannot be stored is parked: the dead letter of documented subject S is on `dead-letter.<S>`. */
    of: (subject: string): string => `dead-letter.${subject}`,
  },
} as const;

/**
 * Every subject above except `requests.*` names a kind of message; the message itself goes on
 * that subject with the account it concerns as one more, last token
 * (`platform.contacts.upserted.<accountId>`, `exports.get.<accountId>`), so NATS permissions can
 * limit a caller to chosen accounts (`exports.get.<accountId>`) or all of them (`exports.get.*`).
 * Request subjects are account-scoped the same way.
 */
export function accountSubject(subject: string, accountId: string): string {
  return `${subject}.${accountId}`;
}

/** The wildcard that matches a subject for every account. */
export function anyAccount(subject: string): string {
  return `${subject}.*`;
}

/** A received account-scoped subject (namespace removed) split into its documented subject and account. */
export function splitAccountSubject(subject: string): { subject: string; accountId: string } {
  const dot = subject.lastIndexOf('.');
  return dot < 0 ? { subject, accountId: '' } : { subject: subject.slice(0, dot), accountId: subject.slice(dot + 1) };
}

export const Streams = {
  exports: { name: 'EXPORTS', subjects: ['exports.requested.>'] },
  exportEvents: { name: 'EXPORT_EVENTS', subjects: ['exports.events.>'] },
  platform: { name: 'PLATFORM', subjects: ['platform.>'] },
  deadLetters: { name: 'DEAD_LETTERS', subjects: ['dead-letter.>'] },
  webhookDeliveries: { name: 'WEBHOOK_DELIVERIES', subjects: ['webhooks.deliveries.>'] },
} as const;

/**
 * Headers of a dead letter (its body is the original event, byte for byte). Subject is the
 * documented one (no namespace); At is an ISO-8601 time.
 */
export const DeadLetterHeaders = {
  reason: 'Dead-Letter-Reason',
  subject: 'Dead-Letter-Subject',
  consumer: 'Dead-Letter-Consumer',
  streamSequence: 'Dead-Letter-Stream-Seq',
  deliveries: 'Dead-Letter-Deliveries',
  at: 'Dead-Letter-At',
} as const;

export type StreamKey = keyof typeof Streams;

/** Durable consumer names, one per consuming app; instances of one app share it. */
export const Consumers = {
  /** Platform contact events, into the contacts table. */
  exportWorkerContacts: 'export-worker-contacts',
  /** Platform message and status events, into the message history. */
  historyServiceMessages: 'history-service-messages',
  /** Export runs of one type, on the exports stream, for the app that produces that type. */
  exportRuns: (app: string, type: ExportType): string => `${app}-${exportSlug(type)}`,
  /** Export lifecycle events, fanned out into one webhook delivery per matching endpoint. */
  webhookEvents: 'export-worker-webhook-events',
  /** Webhook deliveries to make, with their retries. */
  webhookDeliveries: 'export-worker-webhook-deliveries',
} as const;

/**
 * Maps the documented names onto one namespace. The empty namespace (production)
 * leaves every name as documented; `t1` gives `t1.exports.requested.contacts` and
 * stream `EXPORTS_t1`.
 */
export class NatsNamespace {
  constructor(readonly prefix: string = '') {
    if (prefix && !/^[A-Za-z0-9_-]+$/.test(prefix)) {
      throw new Error(`NATS namespace "${prefix}" may only hold letters, digits, "_" and "-"`);
    }
  }

  subject(name: string): string {
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  /** The documented subject of a namespaced one (for routing received messages). */
  unprefix(subject: string): string {
    return this.prefix && subject.startsWith(`${this.prefix}.`) ? subject.slice(this.prefix.length + 1) : subject;
  }

  stream(key: StreamKey): { name: string; subjects: string[] } {
    const stream = Streams[key];
    return {
      name: this.prefix ? `${stream.name}_${this.prefix}` : stream.name,
      subjects: stream.subjects.map((s) => this.subject(s)),
    };
  }

  consumer(name: string): string {
    return this.prefix ? `${name}_${this.prefix}` : name;
  }
}
