import { ClassConstructor, Transform, Type } from 'class-transformer';
import { IS_ENUM, IS_LENGTH, IsString, Length, MATCHES, MAX_LENGTH, MIN_LENGTH, ValidateNested, ValidationArguments } from 'class-validator';
import { ContactDeletedEvent, ContactUpsertedEvent, GetExportRpcRequest, MessageRecordedEvent, MessageStatusEvent } from '@exports/contracts';
import { compiledCheck, leanRule, payloadChecker, ValidationMetadata } from './compiled-validation';
import { checkPayload, MAX_KEYS } from './validation';

const accountId = '0b7e2b9e-8e2c-4c39-9a0e-3b9f4b1c2d3e';

const message = {
  messageId: 'm-1',
  customerMessageId: 'c-1',
  campaignId: 'camp',
  channel: 'SMS',
  direction: 'OUTBOUND',
  sender: 'ACME',
  destination: '+33611111111',
  body: 'Hello, "quoted"',
  status: 'SENT',
  sendDate: '2026-01-01T00:00:00Z',
  cost: 0.045,
  parts: 1,
};
const recorded = { accountId, message };
const status = { accountId, messageId: 'm-1', status: 'ERROR', statusDescription: 'carrier refused', errorCode: 'E1', occurredAt: '2026-01-01T00:00:01+01:00' };
const contact = {
  id: 'c-1',
  phoneNumber: '+14155550100',
  email: 'a@example.com',
  firstName: 'Ada',
  listIds: ['l-1', 'l-2'],
  customFields: { tier: 'gold' },
  isTest: false,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};
const upserted = { accountId, contact };
const deleted = { accountId, contactId: 'c-1', deletedAt: '2026-01-01T00:00:00Z' };

type Outcome = { accepted: unknown } | { refused: string };

function outcome(run: () => unknown): Outcome {
  try {
    // The data, as JSON carries it: an instance and a plain object of the same fields are the same event.
    return { accepted: JSON.parse(JSON.stringify(run())) as unknown };
  } catch (error) {
    return { refused: `${(error as Error).constructor.name}: ${(error as Error).message} ${JSON.stringify((error as { details?: unknown }).details ?? null)}` };
  }
}

/** Both paths on one payload: the same outcome, and a compiled acceptance only where class-validator accepts. */
function expectAgreement<T extends object>(cls: ClassConstructor<T>, payload: unknown): boolean {
  const slow = outcome(() => checkPayload(cls, payload, 'event'));
  const fast = outcome(() => payloadChecker(cls, 'event')(payload));
  expect(fast).toEqual(slow);
  const compiled = compiledCheck(cls)?.(payload) ?? false;
  if (compiled) expect(slow).toHaveProperty('accepted');
  return compiled;
}

const set = (object: Record<string, unknown>, key: string, value: unknown) => ({ ...object, [key]: value });
const without = (object: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(object).filter(([name]) => name !== key));
const deeplyNested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;
const manyKeys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v']));

/** Values that break one rule or another: types, NUL, lone surrogates (what invalid UTF-8 cannot be, once decoded), huge numbers, deep nesting. */
const HOSTILE: unknown[] = [
  undefined,
  null,
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udfffy',
  '\ufffd\ufffd',
  'é🎉',
  'x'.repeat(65_537),
  0,
  -1,
  1.5,
  0.1234567,
  1e21,
  1e308,
  JSON.parse('1e400') as unknown,
  -0,
  Number.MAX_SAFE_INTEGER + 2,
  true,
  [],
  ['a'],
  {},
  { a: 1 },
  deeplyNested(5_000),
  manyKeys(MAX_KEYS + 1),
  '2026-02-30T00:00:00Z',
  '2024-02-29T00:00:00Z',
  '2026-01-01T23:59:60Z',
  '2026-01-01T00:00+01:00',
  '2026-01-01',
  '2026-01-01T00:00:00+14:00',
  '2026-01-01T00:00:00+15:00',
  'SMS',
  'sms',
  'DELIVERED',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(512),
  'x'.repeat(513),
  '🎉'.repeat(64),
  '🎉'.repeat(65),
  'e\ufe0f'.repeat(64),
  '\ufe0f'.repeat(65),
  accountId,
  accountId.toUpperCase(),
  '+33611111111',
  'a@example.com',
];

function* mutations(base: Record<string, unknown>, extraKeys: string[] = []): Generator<Record<string, unknown>> {
  for (const key of [...Object.keys(base), ...extraKeys]) {
    yield without(base, key);
    for (const value of HOSTILE) yield set(base, key, value);
  }
}

describe('compiledCheck', () => {
  it('accepts the valid events on the compiled path, returning the payload as it is', () => {
    for (const [cls, payload] of [
      [MessageRecordedEvent, recorded],
      [MessageRecordedEvent, { accountId, message: without(without(without(without(message, 'cost'), 'parts'), 'campaignId'), 'customerMessageId') }],
      [MessageStatusEvent, status],
      [ContactUpsertedEvent, upserted],
      [ContactUpsertedEvent, { accountId, contact: without(contact, 'phoneNumber') }],
      [ContactDeletedEvent, deleted],
    ] as Array<[ClassConstructor<object>, Record<string, unknown>]>) {
      expect(expectAgreement(cls, payload)).toBe(true);
      expect(payloadChecker(cls)(payload)).toBe(payload);
    }
  });

  it('agrees with class-validator on every mutation of a recorded message, its nested message included', () => {
    let compiledAccepted = 0;
    for (const payload of mutations(recorded, ['extra', '__proto__', 'constructor'])) compiledAccepted += Number(expectAgreement(MessageRecordedEvent, payload));
    for (const nested of mutations(message, ['extra', '__proto__', 'toString'])) compiledAccepted += Number(expectAgreement(MessageRecordedEvent, { accountId, message: nested }));
    expect(compiledAccepted).toBeGreaterThan(10); // the optional fields removed, numbers in range, ...
  });

  it('agrees with class-validator on every mutation of a status report, a contact and a deletion', () => {
    for (const payload of mutations(status, ['extra'])) expectAgreement(MessageStatusEvent, payload);
    for (const nested of mutations(contact, ['extra'])) expectAgreement(ContactUpsertedEvent, { accountId, contact: nested });
    for (const payload of mutations(deleted, ['extra'])) expectAgreement(ContactDeletedEvent, payload);
  });

  it('agrees on payloads that are not objects, or not plain ones, and on JSON keys that shadow Object.prototype', () => {
    for (const payload of [...HOSTILE, JSON.parse('{"__proto__": {"accountId": "x"}}'), Object.create(null) as object, new Date(0)]) {
      expectAgreement(MessageStatusEvent, payload);
    }
    expectAgreement(MessageStatusEvent, JSON.parse(`{"accountId":"${accountId}","messageId":"m","status":"SENT","occurredAt":"2026-01-01T00:00:00Z","__proto__":{}}`));
  });

  it('agrees on random combinations of hostile values (seeded)', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const keys = Object.keys(message);
    for (let i = 0; i < 500; i++) {
      let nested: Record<string, unknown> = { ...message };
      for (let changes = 1 + random(3); changes > 0; changes--) nested = set(nested, keys[random(keys.length)], HOSTILE[random(HOSTILE.length)]);
      expectAgreement(MessageRecordedEvent, { accountId, message: nested });
    }
  });

  it('leaves to class-validator an array where a nested object is declared, which it validates item by item', () => {
    const payload = { accountId, message: [message] };
    expect(compiledCheck(MessageRecordedEvent)!(payload)).toBe(false);
    expectAgreement(MessageRecordedEvent, payload);
  });

  it('compiles request DTOs too, and leaves to class-validator the classes it cannot follow (@Transform, a nested property without @Type)', () => {
    expect(compiledCheck(GetExportRpcRequest)!({ accountId, exportId: accountId })).toBe(true);
    class Trimmed {
      @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)) @IsString() @Length(1, 4) name!: string;
    }
    expect(compiledCheck(Trimmed)).toBeUndefined();
    expectAgreement(Trimmed, { name: '  ab  ' });
    class Inner {
      @IsString() @Length(1, 4) name!: string;
    }
    class Untyped {
      @ValidateNested() inner!: Inner;
    }
    class Typed {
      @ValidateNested() @Type(() => Inner) inner!: Inner;
    }
    expect(compiledCheck(Untyped)).toBeUndefined();
    expect(compiledCheck(Typed)!({ inner: { name: 'ab' } })).toBe(true);
    expectAgreement(Untyped, { inner: { name: 'ab' } });
    expectAgreement(Typed, { inner: { name: 'abcde' } });
  });
});

describe('leanRule', () => {
  const rule = jest.fn((value: unknown) => value === 'asked');
  const lean = (name: string, constraints: unknown[]) => leanRule({ name, constraints } as ValidationMetadata, rule);
  const args = {} as ValidationArguments;
  beforeEach(() => rule.mockClear());

  it('answers enum, length and pattern rules itself', () => {
    const isEnum = lean(IS_ENUM, [{ A: 'a', B: 'b' }, ['a', 'b']])!;
    expect([isEnum('a', args), isEnum('c', args), isEnum(undefined, args)]).toEqual([true, false, false]);
    const length = lean(IS_LENGTH, [2, 3])!;
    expect(['a', 'ab', 'abc', 'abcd', 5].map((value) => length(value, args))).toEqual([false, true, true, false, false]);
    const max = lean(MAX_LENGTH, [2])!;
    expect(['', 'ab', 'abc'].map((value) => max(value, args))).toEqual([true, true, false]);
    const min = lean(MIN_LENGTH, [2])!;
    expect(['a', 'abcdef'].map((value) => min(value, args))).toEqual([false, true]);
    const matches = lean(MATCHES, [/^a+$/])!;
    expect(['aa', 'ab', 1].map((value) => matches(value, args))).toEqual([true, false, false]);
    expect(rule).not.toHaveBeenCalled();
  });

  it('asks the rule for strings whose length validator.js counts apart, and leaves other rules and global patterns to it', () => {
    expect(lean(MAX_LENGTH, [2])!('🎉', args)).toBe(false);
    expect(rule).toHaveBeenCalledWith('🎉', args);
    expect(lean(MATCHES, [/a/g])).toBeUndefined();
    expect(lean(MATCHES, ['a', 'i'])).toBeUndefined();
    expect(lean('isEmail', [])).toBeUndefined();
  });
});
