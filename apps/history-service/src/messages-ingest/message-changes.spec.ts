import { Channel, DeliveryStatus, MessageDirection, MessageRecordedEvent, MessageStatusEvent } from '@exports/contracts';
import { assertStorable, MessageChange, toBatch } from './message-changes';

const A = '0c68a5a6-2a1a-418e-bcac-befa23e35773';

function recorded(messageId: string, body = 'hi', extra: Partial<MessageRecordedEvent['message']> = {}): MessageChange {
  const event: MessageRecordedEvent = {
    accountId: A,
    message: { messageId, channel: Channel.Sms, direction: MessageDirection.Outbound, sender: 'ACME', destination: '+33611111111', body, status: DeliveryStatus.Sent, sendDate: '2026-01-01T00:00:00Z', ...extra },
  };
  return { kind: 'message', event };
}

function report(messageId: string, status: DeliveryStatus, occurredAt: string): MessageChange {
  const event: MessageStatusEvent = { accountId: A, messageId, status, occurredAt };
  return { kind: 'report', event };
}

describe('toBatch', () => {
  it('keeps the last version of a message recorded twice in one batch', () => {
    const batch = toBatch([recorded('m-2'), recorded('m-1', 'first'), recorded('m-1', 'second')]);
    expect(batch.messages.messageIds).toEqual(['m-2', 'm-1']);
    expect(batch.messages.bodies).toEqual(['hi', 'second']);
  });

  it('keeps reports as they came, repeats included (their insert skips what is stored)', () => {
    const batch = toBatch([report('m-1', DeliveryStatus.Delivered, '2026-01-01T01:00:00Z'), report('m-1', DeliveryStatus.Delivered, '2026-01-01T02:00:00+01:00')]);
    expect(batch.reports).toEqual({
      accountIds: [A, A],
      messageIds: ['m-1', 'm-1'],
      statuses: ['DELIVERED', 'DELIVERED'],
      occurredAts: ['2026-01-01T01:00:00Z', '2026-01-01T02:00:00+01:00'],
      statusDescriptions: [null, null],
      errorCodes: [null, null],
    });
  });

  it('lists the messages the batch touches, recorded ones first, then reported ones', () => {
    const batch = toBatch([report('m-3', DeliveryStatus.Sent, '2026-01-01T00:00:00Z'), recorded('m-1'), report('m-1', DeliveryStatus.Sent, '2026-01-01T00:00:01Z')]);
    expect(batch.touched).toEqual({ accountIds: [A, A, A], messageIds: ['m-1', 'm-3', 'm-1'] });
  });

  it('defaults parts to 1 and leaves missing optional values empty', () => {
    const batch = toBatch([recorded('m-1')]);
    expect(batch.messages).toMatchObject({ parts: [1], costs: [null], customerMessageIds: [null], campaignIds: [null] });
  });
});

describe('assertStorable', () => {
  it('refuses text PostgreSQL cannot store and a cost the column cannot hold', () => {
    expect(() => assertStorable(recorded('m-1', 'a\u0000b'))).toThrow('NUL');
    expect(() => assertStorable(recorded('m-1', 'ok', { cost: 1e9 }))).toThrow('message.cost');
    expect(() => assertStorable({ kind: 'report', event: { accountId: A, messageId: 'm', status: DeliveryStatus.Error, statusDescription: '\u0000', occurredAt: '2026-01-01T00:00:00Z' } })).toThrow('NUL');
  });

  it('passes everything else through', () => {
    const change = recorded('m-1', 'émoji 🎉, "quotes"\nnewline', { cost: 99_999_999.999999 });
    expect(assertStorable(change)).toBe(change);
  });
});
