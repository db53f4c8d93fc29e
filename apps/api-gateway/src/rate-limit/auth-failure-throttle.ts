/** Failed authentications of one client address: the window they count in, and the block they led to. */
interface Failures {
  start: number;
  count: number;
  blockedUntil: number;
}

/**
 * Slows key guessing: a client address that fails authentication `limit` times within a
 * window is blocked for a whole window from then on, whatever key it sends, without the key
 * being looked up. In memory, so per gateway instance; entries older than a window are swept.
 */
export class AuthFailureThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(
    readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds the address must wait before it may try again; 0 when it may try now. */
  blockedFor(address: string): number {
    const entry = this.failures.get(address);
    const now = this.now();
    if (!entry || entry.blockedUntil <= now) return 0;
    return Math.max(1, Math.ceil((entry.blockedUntil - now) / 1000));
  }

  /** Counts one failed attempt; the one that reaches the limit starts the block. */
  fail(address: string): void {
    const now = this.now();
    let entry = this.failures.get(address);
    if (!entry || now - entry.start >= this.windowMs) {
      if (entry && entry.blockedUntil > now) return;
      entry = { start: now, count: 0, blockedUntil: 0 };
      this.failures.set(address, entry);
      if (this.failures.size > 100_000) this.sweep(now);
    }
    entry.count += 1;
    if (entry.count >= this.limit) entry.blockedUntil = now + this.windowMs;
  }

  private sweep(now: number): void {
    for (const [address, entry] of this.failures) {
      if (now - entry.start >= this.windowMs && entry.blockedUntil <= now) this.failures.delete(address);
    }
  }
}
