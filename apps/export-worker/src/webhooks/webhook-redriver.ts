import { Logger } from '@nestjs/common';
import { accountSubject, Subjects, WebhookDeliveryJob } from '@exports/contracts';
import { WebhookDeliveriesRepository } from '@exports/database';
import { JetStream } from '@exports/platform';
import { webhookJobMessageId } from './webhook-events.service';

/** Deliveries re-driven by one sweep at most; the next sweep goes on. */
const DELIVERIES_PER_SWEEP = 100;

/**
 * Puts back on WEBHOOK_DELIVERIES the job of every PENDING delivery overdue by more than
 * WEBHOOK_REDRIVE_AFTER_SECONDS: its job was lost (the stream purged or recreated, a limit hit),
 * and without it nothing would ever attempt the delivery again. Safe in every instance: a delivery
 * is taken by one sweep (marked due now, under a row lock), and a job that turns out to be a
 * duplicate only finds its delivery claimed, not yet due or done.
 */
export class WebhookRedriver {
  private readonly logger = new Logger(WebhookRedriver.name);

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly jetStream: JetStream,
    private readonly overdueSeconds: number,
  ) {}

  /** One sweep; returns how many jobs were published again. */
  async sweep(): Promise<number> {
    const overdue = await this.deliveries.redriveOverdue(this.overdueSeconds, DELIVERIES_PER_SWEEP);
    for (const delivery of overdue) {
      const job: WebhookDeliveryJob = { deliveryId: delivery.id, accountId: delivery.accountId };
      // A message id of its own per re-drive: the first job's id may still be in the duplicate window.
      await this.jetStream.publish(accountSubject(Subjects.webhookDeliveries, delivery.accountId), job, `${webhookJobMessageId(delivery.id)}-redrive-${delivery.dueAt.getTime()}`);
      this.logger.warn({ message: 'Webhook delivery job lost; published again', accountId: delivery.accountId, deliveryId: delivery.id });
    }
    return overdue.length;
  }
}
