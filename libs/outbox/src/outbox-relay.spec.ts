import { OutboxEntry, OutboxMessage } from './outbox-entry';
import { OutboxBus, OutboxRelay } from './outbox-relay';
import { OutboxStore } from './outbox.repository';

/** An outbox in memory with the table's contract: due entries in id order, published ones deleted, failed ones kept. */
class MemoryOutbox implements OutboxStore {
  entries: OutboxEntry[] = [];
  drains = 0;
  failNextDrain?: Error;

  add(count: number): void {
    const start = this.entries.length;
    for (let i = 0; i < count; i++) this.entries.push({ id: String(start + i + 1), kind: 'run', run: 1, snapshot: { id: `export-${start + i + 1}` } });
  }

  async drain(publish: (entry: OutboxEntry) => Promise<void>, limit: number): Promise<{ sent: number; error?: unknown }> {
    this.drains++;
    if (this.failNextDrain) {
      const error = this.failNextDrain;
      this.failNextDrain = undefined;
      throw error;
    }
    const batch = this.entries.slice(0, limit);
    const outcomes = await Promise.allSettled(batch.map((entry) => publish(entry)));
    const sent = batch.filter((_, index) => outcomes[index].status === 'fulfilled');
    this.entries = this.entries.filter((entry) => !sent.includes(entry));
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    return failed ? { sent: sent.length, error: failed.reason } : { sent: sent.length };
  }
}

class RecordingBus implements OutboxBus {
  published: Array<{ subject: string; payload: unknown; messageId: string }> = [];
  down = false;

  async publish(subject: string, payload: unknown, messageId: string): Promise<unknown> {
    if (this.down) throw new Error('no responders');
    this.published.push({ subject, payload, messageId });
    return { duplicate: false };
  }
}

const messageOf = (entry: OutboxEntry): OutboxMessage => ({ subject: `exports.requested.${entry.kind}`, payload: entry.snapshot, messageId: `m-${entry.id}` });

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`never: ${what}`);
}

describe('OutboxRelay', () => {
  let outbox: MemoryOutbox;
  let bus: RecordingBus;
  let relay: OutboxRelay;

  beforeEach(() => {
    outbox = new MemoryOutbox();
    bus = new RecordingBus();
    // An idle tick far longer than any test: only kicks and full batches make it drain again.
    relay = new OutboxRelay(outbox, bus, messageOf, 60_000);
  });

  afterEach(async () => {
    await relay.stop();
  });

  it('publishes each entry as messageOf makes it, under its message id, in order', async () => {
    outbox.add(3);
    relay.start();
    await until(() => bus.published.length === 3 && outbox.entries.length === 0, 'three published and deleted');
    expect(bus.published.map((message) => message.messageId)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(bus.published[0]).toEqual({ subject: 'exports.requested.run', payload: { id: 'export-1' }, messageId: 'm-1' });
  });

  it('drains again at once after a full batch of 100, without waiting for the tick', async () => {
    outbox.add(250);
    relay.start();
    await until(() => bus.published.length === 250, 'all 250 published');
    // Two full batches, then the partial one; the relay then waits for a kick or the tick.
    expect(outbox.drains).toBe(3);
  });

  it('wakes on kick when it was idle', async () => {
    relay.start();
    await until(() => outbox.drains === 1, 'the first, empty drain');
    outbox.add(1);
    relay.kick();
    await until(() => bus.published.length === 1, 'the kicked entry published');
    expect(outbox.drains).toBe(2);
  });

  it('keeps entries while the bus is down and publishes them once it is back', async () => {
    bus.down = true;
    outbox.add(2);
    relay.start();
    await until(() => outbox.drains === 1, 'a drain while down');
    expect(outbox.entries).toHaveLength(2);
    bus.down = false;
    relay.kick();
    await until(() => bus.published.length === 2 && outbox.entries.length === 0, 'both published and deleted after the outage');
  });

  it('survives a drain that throws (database down) and goes on', async () => {
    outbox.failNextDrain = new Error('connection refused');
    outbox.add(1);
    relay.start();
    await until(() => outbox.drains === 1, 'the failed drain');
    relay.kick();
    await until(() => bus.published.length === 1, 'published on the next drain');
  });

  it('stop ends the loop: nothing is drained afterwards', async () => {
    relay.start();
    await until(() => outbox.drains === 1, 'the first drain');
    await relay.stop();
    outbox.add(1);
    relay.kick();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(outbox.drains).toBe(1);
    expect(bus.published).toEqual([]);
  });
});
