import { ContactUpsertedEvent, ListExportsRpcRequest } from '@exports/contracts';
import { DomainError } from './errors';
import { boundedKeys, checkPayload, MAX_KEYS } from './validation';

const accountId = '0b7e2b9e-8e2c-4c39-9a0e-3b9f4b1c2d3e';
const manyKeys = (count: number, name = (i: number) => `unknown${i}`) => Object.fromEntries(Array.from({ length: count }, (_, i) => [name(i), '1']));

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('boundedKeys', () => {
  it('keeps the first MAX_KEYS keys of every plain object, at any depth and in arrays', () => {
    const cut = boundedKeys({ a: 1, nested: manyKeys(MAX_KEYS + 5), list: [manyKeys(MAX_KEYS + 1)] }) as Record<string, unknown>;
    expect(Object.keys(cut)).toEqual(['a', 'nested', 'list']);
    expect(Object.keys(cut.nested as object)).toHaveLength(MAX_KEYS);
    expect(Object.keys(cut.nested as object)[MAX_KEYS - 1]).toBe(`unknown${MAX_KEYS - 1}`);
    expect(Object.keys((cut.list as object[])[0])).toHaveLength(MAX_KEYS);
  });

  it('leaves values that are not plain objects as they are', () => {
    const date = new Date(0);
    class Account {
      constructor(readonly id: string) {}
    }
    const account = new Account('a');
    expect(boundedKeys(date)).toBe(date);
    expect(boundedKeys(account)).toBe(account);
    expect(boundedKeys('text')).toBe('text');
    expect(boundedKeys(null)).toBeNull();
  });
});

describe('checkPayload with many keys', () => {
  it('refuses 40,000 unknown keys naming the first, without listing them all', () => {
    const error = refusal(() => checkPayload(ListExportsRpcRequest, { accountId, ...manyKeys(40_000) }));
    expect(error.message).toContain('unknown0');
    expect(error.message).not.toContain(`unknown${MAX_KEYS}`);
    expect(JSON.stringify(error).length).toBeLessThan(20_000);
  });

  it('still accepts the largest valid object (100 customFields), which the cut never touches', () => {
    const contact = { id: 'c-1', phoneNumber: '+14155550100', customFields: manyKeys(100, (i) => `field${i}`), createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };
    const event = checkPayload(ContactUpsertedEvent, { accountId, contact });
    expect(Object.keys(event.contact.customFields ?? {})).toHaveLength(100);
  });

  it('refuses customFields of 40,000 keys by their own rule', () => {
    const contact = { id: 'c-1', phoneNumber: '+14155550100', customFields: manyKeys(40_000), createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };
    expect(refusal(() => checkPayload(ContactUpsertedEvent, { accountId, contact })).message).toContain('customFields');
  });
});
