import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ExportErrorCode, ExportFormat, ExportStatus, ExportType } from '@exports/contracts';
import { AttemptStart, ExportEntity, HeartbeatResult } from '@exports/database';
import { PoolClient } from 'pg';
import { exportPlanSettings, ExportRunner, RunConnections, RunRegistry, RunStorage } from './export-runner';

const ACCOUNT = '0b7e2b9e-8e2c-4c39-9a0e-3b9f4b1c2d3e';
const SETTINGS = { maxAttempts: 3, linkTtlSeconds: 60, retentionSeconds: 3600, stallSeconds: 10, leaseSeconds: 6, accountConcurrency: 2, gzipLevel: 1 };

/** The registry as a run sees it: `startAttempt` answers what the test sets; every write is recorded. */
class FakeRegistry implements RunRegistry {
  start: AttemptStart = { kind: 'unknown' };
  readonly calls: string[] = [];
  failed?: { code: ExportErrorCode; message: string };
  /** What a heartbeat finds. */
  beat: HeartbeatResult = 'renewed';
  /** What the conditional completion finds: false once the run ended elsewhere (a cancel, another attempt). */
  completes = true;
  /** The export as it reads after a refused completion. */
  found: () => Promise<ExportEntity | null> = async () => null;

  async startAttempt(): Promise<AttemptStart> {
    return this.start;
  }
  async heartbeat(): Promise<HeartbeatResult> {
    this.calls.push('heartbeat');
    return this.beat;
  }
  async complete(): Promise<boolean> {
    this.calls.push('complete');
    return this.completes;
  }
  async fail(_accountId: string, _id: string, _run: number, code: ExportErrorCode, message: string): Promise<boolean> {
    this.calls.push('fail');
    this.failed = { code, message };
    return true;
  }
  async findOne(): Promise<ExportEntity | null> {
    this.calls.push('findOne');
    return this.found();
  }
  async endAttempt(): Promise<void> {
    this.calls.push('endAttempt');
  }
  async releaseAttempt(): Promise<void> {
    this.calls.push('releaseAttempt');
  }
}

/** Storage whose every call can be made to fail; `discard` calls are recorded by prefix. */
class FakeStorage implements RunStorage {
  down = false;
  readonly discarded: string[] = [];

  async discard(prefix: string): Promise<{ objects: number; uploads: number }> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:9000');
    this.discarded.push(prefix);
    return { objects: 0, uploads: 0 };
  }
  async upload(): Promise<never> {
    throw new Error('not reached in these specs');
  }
  async stat(): Promise<null> {
    return null;
  }
  async remove(): Promise<void> {}
}

/** A source whose SELECT no spec here gets to run. */
const contactsSource = { type: ExportType.Contacts, columns: [], rows: () => ({ from: 'contacts', where: ['false'], orderBy: 'id' }) };

/** No run in these specs reaches PostgreSQL: a connection asked for is a failure of the spec. */
const noConnections: RunConnections = {
  connect: () => Promise.reject(new Error('the run should not have asked for a connection')),
};

function pending(attempts: number): ExportEntity {
  const now = new Date();
  return Object.assign(new ExportEntity(), {
    id: randomUUID(),
    accountId: ACCOUNT,
    type: ExportType.Contacts,
    status: ExportStatus.Pending,
    filters: {},
    timezone: 'UTC',
    format: ExportFormat.Csv,
    columns: null,
    maxRowsPerFile: 1000,
    files: null,
    run: 2,
    attempts,
    createdAt: now,
    updatedAt: now,
    objectKey: null,
  });
}

describe('ExportRunner (before the COPY)', () => {
  let registry: FakeRegistry;
  let storage: FakeStorage;
  let runner: ExportRunner;
  const hooks = { working: () => undefined };
  const event = (record?: ExportEntity) => ({ exportId: record?.id ?? randomUUID(), accountId: ACCOUNT, type: ExportType.Contacts, run: 2 });

  beforeEach(() => {
    registry = new FakeRegistry();
    storage = new FakeStorage();
    runner = new ExportRunner(noConnections, registry, storage, SETTINGS, [contactsSource]);
  });

  it('asks again later for an export the registry does not show yet', async () => {
    expect(await runner.run(event(), hooks)).toEqual({ kind: 'unknown' });
  });

  it('defers a run another worker holds for half a lease, and an account at its share for a second', async () => {
    registry.start = { kind: 'leased' };
    expect(await runner.run(event(), hooks)).toEqual({ kind: 'retry', delayMs: 3000 });
    registry.start = { kind: 'account-busy', running: 2 };
    expect(await runner.run(event(), hooks)).toEqual({ kind: 'retry', delayMs: 1000 });
    expect(registry.calls).toEqual([]);
  });

  it('ignores a delivery for a run that is no longer pending', async () => {
    registry.start = { kind: 'not-pending', status: ExportStatus.Completed };
    expect(await runner.run(event(), hooks)).toEqual({ kind: 'done' });
    expect(registry.calls).toEqual([]);
  });

  it('gives up as TIMEOUT once earlier attempts used them all without reporting, and discards what the run left', async () => {
    const record = pending(4);
    registry.start = { kind: 'started', record };
    expect(await runner.run(event(record), hooks)).toEqual({ kind: 'done' });
    expect(registry.failed).toEqual({ code: ExportErrorCode.Timeout, message: expect.stringContaining('3 time(s)') });
    expect(storage.discarded).toEqual([`${ACCOUNT}/${record.id}/2/`]);
  });

  it('retries an attempt that storage failed with backoff, its lease given back; the last one fails the export', async () => {
    storage.down = true;
    const first = pending(1);
    registry.start = { kind: 'started', record: first };
    expect(await runner.run(event(first), hooks)).toEqual({ kind: 'retry', delayMs: 1000 });
    expect(registry.calls).toEqual(['endAttempt']);

    const second = pending(2);
    registry.start = { kind: 'started', record: second };
    expect(await runner.run(event(second), hooks)).toEqual({ kind: 'retry', delayMs: 2000 });

    const last = pending(3);
    registry.start = { kind: 'started', record: last };
    expect(await runner.run(event(last), hooks)).toEqual({ kind: 'done' });
    expect(registry.failed).toEqual({ code: ExportErrorCode.StorageUnavailable, message: expect.stringContaining('File storage was unavailable during 3 attempt(s)') });
  });

  it('refuses a type it has no source for, as an internal failure of the attempt', async () => {
    runner = new ExportRunner(noConnections, registry, storage, SETTINGS, []);
    const record = pending(3);
    registry.start = { kind: 'started', record };
    expect(await runner.run(event(record), hooks)).toEqual({ kind: 'done' });
    expect(registry.failed?.code).toBe(ExportErrorCode.Internal);
  });
});

/**
 * A pool whose connection is handed out only when the test says so: the run waits there, before
 * its COPY, while the test cancels it. The client takes no query: a cancelled run never sends one.
 */
class HeldConnections implements RunConnections {
  asked!: Promise<void>;
  private ask!: () => void;
  private give!: (client: PoolClient) => void;
  released?: boolean;

  constructor() {
    this.asked = new Promise((resolve) => (this.ask = resolve));
  }

  connect(): Promise<PoolClient> {
    this.ask();
    return new Promise((resolve) => (this.give = resolve));
  }

  handOut(): void {
    const client = {
      on: () => client,
      off: () => client,
      query: () => Promise.reject(new Error('the fake client takes no query')),
      release: (destroy?: boolean) => (this.released = destroy === true),
    };
    this.give(client as unknown as PoolClient);
  }
}

describe('ExportRunner (cancelled)', () => {
  let registry: FakeRegistry;
  let storage: FakeStorage;
  let connections: HeldConnections;
  const hooks = { working: () => undefined };

  beforeEach(() => {
    registry = new FakeRegistry();
    storage = new FakeStorage();
    connections = new HeldConnections();
  });

  const runOf = (record: ExportEntity, heartbeatMs = 60_000) => {
    registry.start = { kind: 'started', record };
    const runner = new ExportRunner(connections, registry, storage, { ...SETTINGS, heartbeatMs }, [contactsSource]);
    return { runner, outcome: runner.run({ exportId: record.id, accountId: ACCOUNT, type: ExportType.Contacts, run: record.run }, hooks) };
  };

  it('stops on a cancel of its run: what it wrote is discarded, nothing is written or retried, and the message is acked', async () => {
    const record = pending(1);
    const { runner, outcome } = runOf(record);
    await connections.asked;
    expect(runner.cancel(record.id, record.run + 1)).toBe(false);
    expect(runner.cancel(randomUUID(), record.run)).toBe(false);
    expect(runner.cancel(record.id, record.run)).toBe(true);
    connections.handOut();
    expect(await outcome).toEqual({ kind: 'done' });
    expect(registry.calls).toEqual([]);
    expect(registry.failed).toBeUndefined();
    // Once before the COPY (what an earlier attempt left), once for what this one wrote.
    expect(storage.discarded).toEqual([`${ACCOUNT}/${record.id}/2/`, `${ACCOUNT}/${record.id}/2/`]);
    expect(connections.released).toBe(true);
    expect(runner.cancel(record.id, record.run)).toBe(false);
  });

  it('stops when its heartbeat finds the run over (a cancel whose broadcast was missed)', async () => {
    const record = pending(1);
    registry.beat = 'gone';
    const { outcome } = runOf(record, 5);
    await connections.asked;
    while (!registry.calls.includes('heartbeat')) await new Promise((tick) => setTimeout(tick, 5));
    connections.handOut();
    expect(await outcome).toEqual({ kind: 'done' });
    expect(registry.calls.filter((call) => call !== 'heartbeat')).toEqual([]);
    expect(storage.discarded).toHaveLength(2);
  });

  it('goes on while a heartbeat only finds the row held by another transaction', async () => {
    const record = pending(1);
    registry.beat = 'held';
    const { outcome } = runOf(record, 5);
    await connections.asked;
    while (registry.calls.filter((call) => call === 'heartbeat').length < 3) await new Promise((tick) => setTimeout(tick, 5));
    connections.handOut();
    // Not stopped: the run went on to its COPY, which the fake client refuses, as an ordinary failed attempt.
    expect(await outcome).toEqual({ kind: 'retry', delayMs: 1000 });
    expect(registry.calls.filter((call) => call !== 'heartbeat')).toEqual(['endAttempt']);
  });
});

/** Storage that keeps what is uploaded, in memory, so a run can go through to its completion. */
class KeepingStorage implements RunStorage {
  readonly stored = new Map<string, number>();
  readonly discarded: string[] = [];

  async discard(prefix: string): Promise<{ objects: number; uploads: number }> {
    this.discarded.push(prefix);
    return { objects: 0, uploads: 0 };
  }
  async upload(key: string, body: Readable): Promise<{ etag: string }> {
    let size = 0;
    for await (const chunk of body) size += (chunk as Buffer).length;
    this.stored.set(key, size);
    return { etag: 'etag' };
  }
  async stat(key: string): Promise<{ size: number } | null> {
    const size = this.stored.get(key);
    return size === undefined ? null : { size };
  }
  async remove(): Promise<void> {}
}

/** A connection whose COPY gives a CSV of two rows; every other statement succeeds. */
const copyingConnections: RunConnections = {
  connect: async () => {
    const client = {
      on: () => client,
      off: () => client,
      escapeLiteral: (value: string) => `'${value.replace(/'/g, "''")}'`,
      query: (statement: unknown) => (typeof statement === 'string' ? Promise.resolve({ rows: [] }) : Readable.from([Buffer.from('id\n1\n2\n')])),
      release: () => undefined,
    };
    return client as unknown as PoolClient;
  },
};

describe('ExportRunner (a completion refused: the run ended elsewhere)', () => {
  let registry: FakeRegistry;
  let storage: KeepingStorage;
  const hooks = { working: () => undefined };

  beforeEach(() => {
    registry = new FakeRegistry();
    registry.completes = false;
    storage = new KeepingStorage();
  });

  const run = (record: ExportEntity) => {
    registry.start = { kind: 'started', record };
    const runner = new ExportRunner(copyingConnections, registry, storage, { ...SETTINGS, heartbeatMs: 60_000 }, [contactsSource]);
    return runner.run({ exportId: record.id, accountId: ACCOUNT, type: ExportType.Contacts, run: record.run }, hooks);
  };
  const prefixOf = (record: ExportEntity) => `${ACCOUNT}/${record.id}/${record.run}/`;

  it('discards what it wrote when the export reads as cancelled', async () => {
    const record = pending(1);
    registry.found = async () => Object.assign(new ExportEntity(), { ...record, status: ExportStatus.Cancelled });
    expect(await run(record)).toEqual({ kind: 'done' });
    expect(storage.stored.has(`${prefixOf(record)}part-1.csv`)).toBe(true);
    // Once before the COPY, once for what this attempt wrote.
    expect(storage.discarded).toEqual([prefixOf(record), prefixOf(record)]);
  });

  it('discards what it wrote when the export cannot be read again: only a row known to record these keys keeps them', async () => {
    const record = pending(1);
    registry.found = () => Promise.reject(new Error('connection terminated unexpectedly'));
    expect(await run(record)).toEqual({ kind: 'done' });
    expect(registry.calls.filter((call) => call !== 'heartbeat')).toEqual(['complete', 'findOne']);
    expect(storage.discarded).toEqual([prefixOf(record), prefixOf(record)]);
  });

  it('keeps the objects when another attempt of the run completed with these very keys', async () => {
    const record = pending(1);
    registry.found = async () => Object.assign(new ExportEntity(), { ...record, status: ExportStatus.Completed, objectKey: `${prefixOf(record)}part-1.csv` });
    expect(await run(record)).toEqual({ kind: 'done' });
    expect(storage.discarded).toEqual([prefixOf(record)]);
  });
});

describe('exportPlanSettings', () => {
  it('turns JIT and parallel workers off for every export, and penalises the sort only where an index gives the order', () => {
    const always = `set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`;
    expect(exportPlanSettings({})).toBe(`SELECT ${always}`);
    expect(exportPlanSettings({ indexOrdered: false })).toBe(`SELECT ${always}`);
    expect(exportPlanSettings({ indexOrdered: true })).toBe(`SELECT ${always}, set_config('enable_sort', 'off', true)`);
  });
});
