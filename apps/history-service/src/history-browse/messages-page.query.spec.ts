import { Channel, DeliveryStatus } from '@exports/contracts';
import { messagesPageSql } from './messages-page.query';

describe('messagesPageSql', () => {
  const base = { accountId: 'acc', channels: [Channel.Sms], from: 'f', to: 't', offset: 0, take: 21 };

  it('reads one channel as one ordered index range, cut by LIMIT', () => {
    const { sql, params } = messagesPageSql(base);
    expect(sql).toContain('channel = $4');
    expect(sql).toMatch(/ORDER BY send_date, message_id LIMIT 21$/);
    expect(sql).not.toContain('UNION');
    expect(params).toEqual(['acc', 'f', 't', 'SMS']);
  });

  it('continues after a keyset position with a row comparison, and filters statuses', () => {
    const { sql, params } = messagesPageSql({ ...base, statuses: [DeliveryStatus.Error], after: { sendKey: '2026-01-01T00:00:00.000001Z', messageId: 'm-1' } });
    expect(sql).toContain('status = ANY($4::text[])');
    expect(sql).toContain('(send_date, message_id) > ($5::timestamptz, $6::text)');
    expect(params).toEqual(['acc', 'f', 't', ['ERROR'], '2026-01-01T00:00:00.000001Z', 'm-1', 'SMS']);
  });

  it('merges several channels, each cut at offset + take, then pages the merge', () => {
    const { sql, params } = messagesPageSql({ ...base, channels: [Channel.Sms, Channel.Rcs], offset: 40, take: 21 });
    expect(sql.match(/LIMIT 61/g)).toHaveLength(2);
    expect(sql).toContain('UNION ALL');
    expect(sql).toMatch(/ORDER BY send_date, message_id COLLATE "C" LIMIT 21 OFFSET 40$/);
    expect(params.slice(3)).toEqual(['SMS', 'RCS']);
  });
});
