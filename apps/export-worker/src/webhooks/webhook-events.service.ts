import { createHash } from 'node:crypto';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JsMsg } from 'nats';
import { accountSubject, Consumers, splitAccountSubject, Streams, Subjects, WebhookDeliveryJob, webhookEventTypeOf, WebhookPayload } from '@exports/contracts';
import { WebhookDeliveriesRepository } from '@exports/database';
import { JetStream, jsonOf, PullLoop } from '@exports/platform';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENTS_PREFIX = 'exports.events.';

/** The message id of a delivery job: a repeat (the event redelivered) within the dedupe window is dropped. */
export const webhookJobMessageId = (deliveryId: string) => `webhook-delivery-${deliveryId}`;

/**
 * The event id of an export event: the same for every arrival of one outbox entry (its message
 * id), so a redelivered event is recognised; `evt_` and 24 hex digits.
 */
export function webhookEventId(exportId: string, messageId: string): string {
  return `evt_${createHash('sha256').update(`${exportId}:${messageId}`).digest('hex').slice(0, 24)}`;
}

/**
 * Fans the export lifecycle events (EXPORT_EVENTS) out into webhook deliveries: for each event, one
 * PENDING delivery row per enabled endpoint of the event's account subscribed to its type
 * (idempotent on endpoint and event), then one job per delivery on WEBHOOK_DELIVERIES (deduped on
 * the delivery id), then the ack. A crash before the ack redelivers the event, which finds the rows
 * and hands the PENDING ones on again: no delivery is lost between the two.
 */
@Injectable()
export class WebhookEventsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookEventsService.name);
  private loop?: PullLoop;

  constructor(
    private readonly jetStream: JetStream,
    private readonly deliveries: WebhookDeliveriesRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jetStream.ensureStreams(['exportEvents', 'webhookDeliveries']);
    await this.jetStream.ensureConsumer({
      stream: 'exportEvents',
      durable: Consumers.webhookEvents,
      filterSubject: Streams.exportEvents.subjects[0],
      ackWaitSeconds: 30,
      maxDeliver: -1,
    });
    this.loop = new PullLoop(this.jetStream, { stream: 'exportEvents', durable: Consumers.webhookEvents, batchSize: 1, concurrency: 2, handle: ([message]) => this.handle(message) });
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  private async handle(message: JsMsg): Promise<void> {
    const { subject, accountId } = splitAccountSubject(this.jetStream.namespace.unprefix(message.subject));
    const type = subject.startsWith(EVENTS_PREFIX) ? webhookEventTypeOf(subject.slice(EVENTS_PREFIX.length)) : undefined;
    if (!type) {
      message.ack(); // an event kind webhooks do not carry
      return;
    }
    const data = jsonOf(message) as { exportId?: unknown } | undefined;
    const exportId = typeof data?.exportId === 'string' ? data.exportId : '';
    if (!UUID.test(accountId) || !UUID.test(exportId)) {
      this.logger.error({ message: 'Export event without an account or export id terminated', subject: message.subject });
      message.term();
      return;
    }
    const messageId = message.headers?.get('Nats-Msg-Id') || `seq-${message.seq}`;
    const eventId = webhookEventId(exportId, messageId);
    const payload: WebhookPayload = { id: eventId, type, createdAt: new Date(Math.floor(message.info.timestampNanos / 1e6)).toISOString(), data };
    const ids = await this.deliveries.recordEvent({ accountId, eventId, eventType: type, exportId, body: JSON.stringify(payload) });
    for (const deliveryId of ids) {
      const job: WebhookDeliveryJob = { deliveryId, accountId };
      await this.jetStream.publish(accountSubject(Subjects.webhookDeliveries, accountId), job, webhookJobMessageId(deliveryId));
    }
    if (ids.length) this.logger.log({ message: 'Webhook deliveries queued', accountId, exportId, eventId, type, deliveries: ids.length });
    await message.ackAck().catch(() => message.ack());
  }
}
