import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The Prometheus metrics of every app, on one registry per process. Names follow
 * Prometheus conventions; labels stay low-cardinality (route templates, not URLs).
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly exportsRequested = new Counter({
    name: 'exports_requested_total',
    help: 'Exports registered by the gateway, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly exportsFinished = new Counter({
    name: 'exports_finished_total',
    help: 'Export runs finished by this worker, by type and resulting status (COMPLETED, FAILED)',
    labelNames: ['type', 'status'] as const,
    registers: [this.registry],
  });

  readonly exportDuration = new Histogram({
    name: 'export_duration_seconds',
    help: 'Wall time of a completed export run, by type',
    labelNames: ['type'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });

  readonly exportRows = new Counter({
    name: 'export_rows_total',
    help: 'Rows written to completed export files, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly ingestedEvents = new Counter({
    name: 'ingest_events_total',
    help: 'Platform events ingested, by consumer and outcome (accepted; rejected: parked on the dead-letter stream)',
    labelNames: ['consumer', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly ingestLagSeconds = new Gauge({
    name: 'ingest_lag_seconds',
    help: 'Age of the newest event in the last ingested batch at the time it was written, by consumer',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });

  readonly ingestRetries = new Counter({
    name: 'ingest_retries_total',
    help: 'Platform events handed back for a later delivery because the database or NATS failed (never given up), by consumer',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });

  readonly ingestFailing = new Gauge({
    name: 'ingest_failing',
    help: '1 while the last batch of a consumer failed for a reason other than its data (events wait and are retried), else 0',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });

  readonly consumerPending = new Gauge({
    name: 'jetstream_consumer_pending_messages',
    help: 'Messages waiting for a durable consumer (backlog), by consumer',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });

  readonly redeliveries = new Counter({
    name: 'jetstream_redeliveries_total',
    help: 'Messages received again after a failed, timed-out or handed-back delivery, by consumer',
    labelNames: ['consumer'] as const,
    registers: [this.registry],
  });

  readonly webhookAttempts = new Counter({
    name: 'webhook_attempts_total',
    help: 'Webhook delivery attempts, by outcome: delivered (2xx), retry (failed, another attempt scheduled), failed (410, or the retry schedule spent)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookLatency = new Histogram({
    name: 'webhook_attempt_duration_seconds',
    help: 'Duration of webhook delivery attempts, connection to answer (or timeout)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  constructor(app: string) {
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Callbacks run before each scrape (e.g. to read consumer backlogs). */
  private readonly collectors: Array<() => Promise<void>> = [];

  onScrape(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    await Promise.all(this.collectors.map((collect) => collect().catch(() => undefined)));
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
