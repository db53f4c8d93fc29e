import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JsMsg } from 'nats';
import { anyAccount, Consumers, splitAccountSubject, Subjects, WebhookDeliveryJob } from '@exports/contracts';
import { DueDelivery, FailingWindow, WebhookDeliveriesRepository } from '@exports/database';
import { AppConfig, checkPayload, JetStream, jsonOf, Metrics, PullLoop, SecretBox } from '@exports/platform';
import { longestRetryDelayMs, nextRetryAt, retryWindowMs } from './retry-schedule';
import { SendResult, WebhookSender } from './webhook-sender';
import { signWebhook } from './webhook-signature';

/** Beyond the attempt's own timeout, before JetStream hands an unacknowledged job to another worker. */
const ACK_WAIT_MARGIN_SECONDS = 10;
/** Jobs waiting for their retry delay count as unacknowledged: the bound is on the loops, not on this. */
const MAX_ACK_PENDING = 100_000;

/**
 * Makes the webhook deliveries (WEBHOOK_DELIVERIES), in WEBHOOK_CONCURRENCY loops of its own per
 * instance, apart from the export runs, so a slow receiver never holds an export up. Each job:
 * count and claim the attempt (for the ack wait: a second job for the same delivery waits it out
 * instead of sending at the same time), sign, POST, record the outcome, then ack (2xx, 410, or the
 * schedule spent) or nak with the next retry delay. A worker killed mid-attempt never acks: the job
 * comes back after the ack wait (timeout + 10 s), when the claim has lapsed, to another worker.
 */
@Injectable()
export class WebhookDeliveryService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveryService.name);
  private readonly sender: WebhookSender;
  private readonly scheduleMs: number[];
  private readonly ackWaitSeconds: number;
  private readonly failingWindow: FailingWindow;
  private loop?: PullLoop;

  constructor(
    private readonly jetStream: JetStream,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly secrets: SecretBox,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.sender = new WebhookSender({ timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowInsecure: config.WEBHOOK_ALLOW_INSECURE });
    this.scheduleMs = config.webhookRetryScheduleMs;
    this.ackWaitSeconds = Math.ceil(config.WEBHOOK_TIMEOUT_MS / 1000) + ACK_WAIT_MARGIN_SECONDS;
    // Failures further apart than any failing delivery waits between attempts (and its job may be
    // held by a crashed worker) are not one run of failures: the receiver may have recovered between them.
    this.failingWindow = {
      disableAfterSeconds: config.WEBHOOK_DISABLE_AFTER_SECONDS,
      gapSeconds: Math.ceil(longestRetryDelayMs(this.scheduleMs) / 1000) + 2 * this.ackWaitSeconds,
      scheduleSeconds: Math.ceil(retryWindowMs(this.scheduleMs) / 1000),
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jetStream.ensureStreams(['webhookDeliveries']);
    await this.jetStream.ensureConsumer({
      stream: 'webhookDeliveries',
      durable: Consumers.webhookDeliveries,
      filterSubject: anyAccount(Subjects.webhookDeliveries),
      ackWaitSeconds: this.ackWaitSeconds,
      maxDeliver: -1,
      maxAckPending: MAX_ACK_PENDING,
    });
    this.metrics.onScrape(() => this.jetStream.reportBacklog(this.metrics, 'webhookDeliveries', Consumers.webhookDeliveries));
    this.loop = new PullLoop(this.jetStream, {
      stream: 'webhookDeliveries',
      durable: Consumers.webhookDeliveries,
      batchSize: 1,
      concurrency: this.config.WEBHOOK_CONCURRENCY,
      handle: ([message]) => this.handle(message),
    });
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
    this.sender.close();
  }

  private async handle(message: JsMsg): Promise<void> {
    let job: WebhookDeliveryJob;
    try {
      job = checkPayload(WebhookDeliveryJob, jsonOf(message), 'webhook delivery job');
    } catch (error) {
      this.logger.error({ message: 'Invalid webhook delivery job terminated', subject: message.subject, reason: (error as Error).message });
      message.term();
      return;
    }
    if (splitAccountSubject(this.jetStream.namespace.unprefix(message.subject)).accountId !== job.accountId) {
      this.logger.error({ message: 'Webhook delivery job for another account than its subject terminated', code: 'ACCOUNT_MISMATCH', deliveryId: job.deliveryId });
      message.term();
      return;
    }
    const start = await this.deliveries.startAttempt(job.accountId, job.deliveryId, this.ackWaitSeconds);
    if (start.kind === 'done') return ack(message);
    if (start.kind === 'early') return message.nak(start.waitMs);
    const delivery = start.delivery;
    const result = await this.attempt(delivery);
    this.metrics.webhookLatency.observe(result.latencyMs / 1000);
    const context = { accountId: job.accountId, webhookId: delivery.endpoint.id, deliveryId: delivery.id, eventId: delivery.eventId, attempt: delivery.attempts };
    if (!result.error && result.status !== undefined) {
      await this.deliveries.succeeded(delivery.id, result.status, result.latencyMs);
      this.metrics.webhookAttempts.inc({ outcome: 'delivered' });
      this.logger.log({ message: 'Webhook delivered', ...context, httpStatus: result.status, latencyMs: result.latencyMs });
      return ack(message);
    }
    const gone = result.status === 410;
    const now = new Date();
    const retryAt = gone ? undefined : nextRetryAt(this.scheduleMs, delivery.attempts, delivery.createdAt, now);
    const delayMs = retryAt && retryAt.getTime() - now.getTime();
    const disabled = await this.deliveries.failed(
      delivery.id,
      {
        httpStatus: result.status,
        latencyMs: result.latencyMs,
        error: result.error ?? 'failed',
        nextRetryAt: retryAt,
        disableReason: gone ? 'The receiver answered 410 Gone' : undefined,
      },
      this.failingWindow,
    );
    this.metrics.webhookAttempts.inc({ outcome: delayMs === undefined ? 'failed' : 'retry' });
    this.logger.warn({ message: 'Webhook attempt failed', ...context, httpStatus: result.status, reason: result.error, retryInMs: delayMs, endpointDisabled: disabled });
    if (delayMs === undefined) return ack(message);
    // A just-disabled endpoint: back at once, to end the delivery FAILED rather than wait out the delay.
    message.nak(disabled ? 0 : delayMs);
  }

  /** Signs and sends; a secret that cannot be opened (WEBHOOK_SECRET_KEY changed) is a failed attempt like any other. */
  private async attempt(delivery: DueDelivery): Promise<SendResult> {
    let secrets: string[];
    try {
      secrets = this.signingSecrets(delivery);
    } catch {
      return { latencyMs: 0, error: 'The signing secret cannot be opened (was WEBHOOK_SECRET_KEY changed?); nothing was sent' };
    }
    const headers = signWebhook(secrets, delivery.eventId, new Date(), delivery.body);
    return this.sender.send(delivery.endpoint.url, { ...headers }, delivery.body);
  }

  /** The current secret, and the previous one while it still signs after a rotation. */
  private signingSecrets(delivery: DueDelivery): string[] {
    const { endpoint } = delivery;
    const secrets = [this.secrets.open(endpoint.secretSealed)];
    if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > Date.now()) {
      secrets.push(this.secrets.open(endpoint.previousSecretSealed));
    }
    return secrets;
  }
}

async function ack(message: JsMsg): Promise<void> {
  await message.ackAck().catch(() => message.ack());
}
