import { RunStop, watchRun } from './run-watchdog';

describe('RunStop', () => {
  it('keeps the first reason and stops what is armed with it', () => {
    const stop = new RunStop();
    const stopped: Error[] = [];
    stop.arm((reason) => stopped.push(reason));
    const first = new Error('first');
    stop.stop(first);
    stop.stop(new Error('second'));
    expect(stop.reason).toBe(first);
    expect(stopped).toEqual([first]);
  });

  it('stops what is armed after the reason came, at once', () => {
    const stop = new RunStop();
    const reason = new Error('early');
    stop.stop(reason);
    const stopped: Error[] = [];
    stop.arm((error) => stopped.push(error));
    expect(stopped).toEqual([reason]);
  });
});

describe('watchRun', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function watch(progress: { bytes: number; rows: number } | (() => { bytes: number; rows: number } | undefined)) {
    const calls = { heartbeats: [] as number[], working: 0, stalled: 0 };
    const unwatch = watchRun({
      heartbeatMs: 1000,
      stallSeconds: 3,
      progress: typeof progress === 'function' ? progress : () => progress,
      heartbeat: (rows) => calls.heartbeats.push(rows),
      working: () => (calls.working += 1),
      stalled: () => (calls.stalled += 1),
    });
    return { calls, unwatch };
  }

  it('heartbeats with the rows so far while bytes move', () => {
    const progress = { bytes: 0, rows: 0 };
    const { calls, unwatch } = watch(progress);
    for (let second = 1; second <= 5; second += 1) {
      progress.bytes += 100;
      progress.rows += 10;
      jest.advanceTimersByTime(1000);
    }
    unwatch();
    expect(calls).toEqual({ heartbeats: [10, 20, 30, 40, 50], working: 5, stalled: 0 });
  });

  it('goes on heartbeating through a short pause, then reports a stall once and stops beating', () => {
    const progress = { bytes: 100, rows: 1 };
    const { calls, unwatch } = watch(progress);
    jest.advanceTimersByTime(3000);
    expect(calls.stalled).toBe(0);
    expect(calls.heartbeats).toHaveLength(3);
    jest.advanceTimersByTime(10_000);
    unwatch();
    expect(calls.stalled).toBe(1);
    expect(calls.heartbeats).toHaveLength(4);
  });

  it('does nothing once unwatched', () => {
    const { calls, unwatch } = watch({ bytes: 0, rows: 0 });
    unwatch();
    jest.advanceTimersByTime(60_000);
    expect(calls).toEqual({ heartbeats: [], working: 0, stalled: 0 });
  });

  it('keeps beating and counts no stall before the stream starts, then counts from its start', () => {
    let progress: { bytes: number; rows: number } | undefined;
    const { calls, unwatch } = watch(() => progress);
    jest.advanceTimersByTime(20_000);
    expect(calls.stalled).toBe(0);
    expect(calls.heartbeats).toHaveLength(20);
    progress = { bytes: 0, rows: 0 };
    jest.advanceTimersByTime(3000);
    expect(calls.stalled).toBe(0);
    jest.advanceTimersByTime(2000);
    unwatch();
    expect(calls.stalled).toBe(1);
  });
});
