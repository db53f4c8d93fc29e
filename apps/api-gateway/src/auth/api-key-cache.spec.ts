import { ApiKeyCache, KnownKey } from './api-key-cache';

const ACME: KnownKey = { keyId: 'key-1', accountId: 'account-1' };
const OTHER: KnownKey = { keyId: 'key-2', accountId: 'account-2' };

/** A database stand-in: answers what `keys` holds now, and counts the lookups. */
class FakeKeys {
  readonly keys = new Map<string, KnownKey>();
  lookups = 0;

  load(hash: string): () => Promise<KnownKey | null> {
    return async () => {
      this.lookups += 1;
      return this.keys.get(hash) ?? null;
    };
  }
}

/** A lookup the test answers when it chooses. */
function deferred(): { load: () => Promise<KnownKey | null>; answer: (key: KnownKey | null) => void } {
  let answer!: (key: KnownKey | null) => void;
  const pending = new Promise<KnownKey | null>((resolveLookup) => (answer = resolveLookup));
  return { load: () => pending, answer };
}

describe('ApiKeyCache', () => {
  let clock: number;
  let database: FakeKeys;
  const cache = (ttlMs = 5_000, maxEntries = 100) => new ApiKeyCache(ttlMs, maxEntries, () => clock);

  beforeEach(() => {
    clock = 1_000_000;
    database = new FakeKeys();
    database.keys.set('h1', ACME);
    database.keys.set('h2', OTHER);
  });

  it('looks a valid key up once per TTL', async () => {
    const keys = cache();
    expect(await keys.find('h1', database.load('h1'))).toEqual(ACME);
    clock += 4_999;
    expect(await keys.find('h1', database.load('h1'))).toMatchObject(ACME);
    expect(database.lookups).toBe(1);
    clock += 1;
    expect(await keys.find('h1', database.load('h1'))).toMatchObject(ACME);
    expect(database.lookups).toBe(2);
  });

  it('never keeps an unknown key: a key created a moment later is accepted at once', async () => {
    const keys = cache();
    expect(await keys.find('h3', database.load('h3'))).toBeNull();
    database.keys.set('h3', { keyId: 'key-3', accountId: 'account-1' });
    expect(await keys.find('h3', database.load('h3'))).toMatchObject({ keyId: 'key-3' });
    expect(database.lookups).toBe(2);
  });

  it('forgets a revoked key at once, and only that key', async () => {
    const keys = cache();
    await keys.find('h1', database.load('h1'));
    await keys.find('h2', database.load('h2'));
    database.keys.delete('h1');
    keys.revoke(['key-1']);
    expect(await keys.find('h1', database.load('h1'))).toBeNull();
    expect(await keys.find('h2', database.load('h2'))).toMatchObject(OTHER);
    expect(database.lookups).toBe(3);
  });

  it('does not store a lookup that was in flight when a revocation came', async () => {
    const keys = cache();
    const before = deferred();
    const first = keys.find('h1', before.load);
    // The key is revoked after the database answered, before the answer arrives.
    keys.revoke(['key-1']);
    before.answer(ACME);
    expect(await first).toEqual(ACME);
    expect(keys.size).toBe(0);
    database.keys.delete('h1');
    expect(await keys.find('h1', database.load('h1'))).toBeNull();
  });

  it('shares one lookup between concurrent requests, but not across a revocation', async () => {
    const keys = cache();
    const lookup = deferred();
    const a = keys.find('h1', lookup.load);
    const b = keys.find('h1', database.load('h1'));
    expect(database.lookups).toBe(0);
    keys.revoke(['key-1']);
    database.keys.delete('h1');
    const c = keys.find('h1', database.load('h1'));
    lookup.answer(ACME);
    expect(await a).toEqual(ACME);
    expect(await b).toEqual(ACME);
    expect(await c).toBeNull();
  });

  it('keeps at most maxEntries keys, dropping the oldest', async () => {
    const keys = cache(5_000, 2);
    database.keys.set('h3', { keyId: 'key-3', accountId: 'account-3' });
    for (const hash of ['h1', 'h2', 'h3']) await keys.find(hash, database.load(hash));
    expect(keys.size).toBe(2);
    await keys.find('h2', database.load('h2'));
    await keys.find('h3', database.load('h3'));
    expect(database.lookups).toBe(3);
    await keys.find('h1', database.load('h1'));
    expect(database.lookups).toBe(4);
  });

  it('serves nothing from the cache while paused, and starts afresh on resume', async () => {
    const keys = cache();
    await keys.find('h1', database.load('h1'));
    keys.pause();
    expect(keys.size).toBe(0);
    await keys.find('h1', database.load('h1'));
    await keys.find('h1', database.load('h1'));
    expect(database.lookups).toBe(3);
    expect(keys.size).toBe(0);
    keys.resume();
    await keys.find('h1', database.load('h1'));
    await keys.find('h1', database.load('h1'));
    expect(database.lookups).toBe(4);
  });

  it('clear forgets every key', async () => {
    const keys = cache();
    await keys.find('h1', database.load('h1'));
    keys.clear();
    await keys.find('h1', database.load('h1'));
    expect(database.lookups).toBe(2);
  });

  it('with a TTL of 0 looks every request up', async () => {
    const keys = cache(0);
    await keys.find('h1', database.load('h1'));
    await keys.find('h1', database.load('h1'));
    expect(database.lookups).toBe(2);
    expect(keys.size).toBe(0);
  });
});
