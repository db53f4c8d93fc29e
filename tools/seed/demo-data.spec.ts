import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ContactUpsertedEvent, MessageRecordedEvent, MessageStatusEvent } from '@exports/contracts';
import { demoContact, demoMessage, partsOf, Random } from './demo-data';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const ACCOUNT = '0c68a5a6-2a1a-418e-bcac-befa23e35773';
const valid = <T extends object>(cls: new () => T, plain: object) => validateSync(plainToInstance(cls, plain), { whitelist: true, forbidNonWhitelisted: true });

describe('demo data', () => {
  const random = new Random(7);
  const contacts = Array.from({ length: 300 }, (_, i) => demoContact(random, i, NOW));
  const messages = Array.from({ length: 2000 }, (_, i) => demoMessage(random, 'acc', i, NOW, contacts.flatMap((c) => (c.phoneNumber ? [c.phoneNumber] : []))));

  it('is the same for the same seed', () => {
    const again = new Random(7);
    expect(demoContact(again, 0, NOW)).toEqual(contacts[0]);
  });

  it('publishes only events the ingestion accepts', () => {
    for (const contact of contacts) expect(valid(ContactUpsertedEvent, { accountId: ACCOUNT, contact })).toEqual([]);
    for (const { message, reports } of messages) {
      expect(valid(MessageRecordedEvent, { accountId: ACCOUNT, message })).toEqual([]);
      for (const report of reports) expect(valid(MessageStatusEvent, { accountId: ACCOUNT, ...report })).toEqual([]);
    }
  });

  it('covers channels, statuses and the texts an export must get right', () => {
    const bodies = messages.map((m) => m.message.body).join('\n');
    expect(new Set(messages.map((m) => m.message.channel))).toEqual(new Set(['SMS', 'RCS', 'WHATSAPP']));
    expect(new Set(messages.flatMap((m) => m.reports.map((r) => r.status)))).toEqual(new Set(['SENT', 'DELIVERED', 'ERROR', 'EXPIRED']));
    for (const needle of [',', '"', '\n', '🎉', 'ご注文', 'شكرا', 'Спасибо', 'धन्यवाद', '=SUM', '@channel', '+1 (415)']) expect(bodies).toContain(needle);
    expect(contacts.some((c) => /^[=+\-@]/.test(c.firstName ?? ''))).toBe(true);
  });

  it('sends in the past and reports after sending, never after now', () => {
    for (const { message, reports } of messages) {
      expect(Date.parse(message.sendDate)).toBeLessThan(NOW);
      for (const report of reports) {
        expect(Date.parse(report.occurredAt)).toBeGreaterThan(Date.parse(message.sendDate));
        expect(Date.parse(report.occurredAt)).toBeLessThanOrEqual(NOW);
      }
    }
  });

  it('counts parts like an SMS gateway', () => {
    expect(partsOf('x'.repeat(160))).toBe(1);
    expect(partsOf('x'.repeat(161))).toBe(2);
    expect(partsOf('é'.repeat(70))).toBe(1);
    expect(partsOf('日'.repeat(71))).toBe(2);
  });
});
