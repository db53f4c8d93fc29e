/** A valid key as the database knows it. */
export interface KnownKey {
  keyId: string;
  accountId: string;
}

interface Entry extends KnownKey {
  expiresAt: number;
}

/**
 * Valid API keys seen lately, by the SHA-256 of the key, for `ttlMs` at most and `maxEntries`
 * at most (the oldest entry goes first). Only valid keys are kept: an unknown key is looked up
 * every time (the per-address failure throttle bounds that), so a key created a moment ago is
 * never refused from here.
 *
 * A revocation ({@link revoke}) or a reset ({@link clear}) removes the entries at once, and a
 * lookup that was in flight when one happened is not stored: its answer may predate it.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  /** Lookups in flight, shared by the requests that carry the same key meanwhile. */
  private readonly pending = new Map<string, Promise<KnownKey | null>>();
  /** Bumped by every revocation and reset. */
  private generation = 0;
  /** While revocations may not arrive (the bus is unreachable), every lookup goes to the database. */
  private paused = false;

  constructor(
    readonly ttlMs: number,
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The key of `hash` from the cache, else from `load` (at most one load per hash at a time). */
  async find(hash: string, load: () => Promise<KnownKey | null>): Promise<KnownKey | null> {
    if (this.ttlMs === 0 || this.paused) return load();
    const cached = this.entries.get(hash);
    if (cached) {
      if (cached.expiresAt > this.now()) return cached;
      this.entries.delete(hash);
    }
    const inFlight = this.pending.get(hash);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const loading = load().finally(() => {
      if (this.pending.get(hash) === loading) this.pending.delete(hash);
    });
    this.pending.set(hash, loading);
    const key = await loading;
    if (key && generation === this.generation && !this.paused) this.store(hash, key);
    return key;
  }

  /** Forgets the given keys (revoked or deleted) at once, and whatever lookup is in flight. */
  revoke(keyIds: readonly string[]): void {
    const revoked = new Set(keyIds);
    this.generation += 1;
    this.pending.clear();
    for (const [hash, entry] of this.entries) {
      if (revoked.has(entry.keyId)) this.entries.delete(hash);
    }
  }

  /** Forgets everything (e.g. revocations may have been missed while the bus was unreachable). */
  clear(): void {
    this.generation += 1;
    this.pending.clear();
    this.entries.clear();
  }

  /** Forgets everything and serves nothing from the cache until {@link resume}. */
  pause(): void {
    this.paused = true;
    this.clear();
  }

  resume(): void {
    this.clear();
    this.paused = false;
  }

  private store(hash: string, key: KnownKey): void {
    this.entries.delete(hash);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, { keyId: key.keyId, accountId: key.accountId, expiresAt: this.now() + this.ttlMs });
  }
}
