/**
 * Why a run stopped before its end, said once: the first reason wins, and whatever is armed
 * (the streams of the COPY) is stopped with it, even when the reason came before the arming.
 */
export class RunStop {
  private stoppedWith?: Error;
  private onStop?: (reason: Error) => void;

  get reason(): Error | undefined {
    return this.stoppedWith;
  }

  stop(reason: Error): void {
    if (this.stoppedWith) return;
    this.stoppedWith = reason;
    this.onStop?.(reason);
  }

  /** `onStop` runs at once when the run was already stopped. */
  arm(onStop: (reason: Error) => void): void {
    this.onStop = onStop;
    if (this.stoppedWith) onStop(this.stoppedWith);
  }
}

export interface RunWatchdogOptions {
  /** How often the lease is renewed and progress written. */
  heartbeatMs: number;
  /** No byte for this long stops the run with `stalled()`. */
  stallSeconds: number;
  /** Bytes and rows written so far; undefined while the stream has not started (no stall is counted then). */
  progress(): { bytes: number; rows: number } | undefined;
  /** Renews the lease in the registry and writes progress (best effort). */
  heartbeat(rows: number): void;
  /** Tells the bus the run is alive. */
  working(): void;
  /** Called once when no byte moved for `stallSeconds`. */
  stalled(): void;
}

/**
 * The lease of a running attempt: heartbeats go out only while bytes move, so a stuck run stops
 * telling the registry and the bus that it is alive, and is stopped once it has been still for
 * `stallSeconds`. Returns the function that ends the watch.
 */
export function watchRun(options: RunWatchdogOptions, now: () => number = Date.now): () => void {
  let lastBytes = -1;
  let lastMoved = now();
  const timer = setInterval(() => {
    const progress = options.progress();
    const { bytes, rows } = progress ?? { bytes: lastBytes, rows: 0 };
    if (!progress || bytes !== lastBytes) {
      lastBytes = bytes;
      lastMoved = now();
    } else if (now() - lastMoved > options.stallSeconds * 1000) {
      clearInterval(timer);
      options.stalled();
      return;
    }
    options.working();
    options.heartbeat(rows);
  }, options.heartbeatMs);
  return () => clearInterval(timer);
}
