import { CursorScope, HistoryCursor } from './history-cursor';

describe('HistoryCursor', () => {
  const cursors = new HistoryCursor('a-secret-of-at-least-16-chars');
  const scope: CursorScope = { accountId: '0c68a5a6-2a1a-418e-bcac-befa23e35773', channels: ['SMS'], statuses: ['SENT'], from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
  const position = { sendKey: '2026-01-15T10:30:00.123456Z', messageId: 'msg-001', page: 3 };

  it('gives back the position it encoded, microseconds included', () => {
    const cursor = cursors.encode(position, scope);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(cursors.decode(cursor, scope)).toEqual(position);
  });

  it('belongs to the same query whatever the order of lists or the offset of the bounds', () => {
    const cursor = cursors.encode(position, { ...scope, channels: ['SMS', 'RCS'], statuses: ['SENT', 'ERROR'] });
    const same = { ...scope, channels: ['RCS', 'SMS', 'RCS'], statuses: ['ERROR', 'SENT'], from: '2026-01-01T01:00:00+01:00' };
    expect(cursors.decode(cursor, same)).toEqual(position);
  });

  it.each<[string, Partial<CursorScope>]>([
    ['another account', { accountId: 'a9bb3dc4-65ff-421c-9ed4-797959668e67' }],
    ['another channel', { channels: ['RCS'] }],
    ['another status', { statuses: undefined }],
    ['another from', { from: '2026-01-01T00:00:01Z' }],
    ['another to', { to: '2026-02-02T00:00:00Z' }],
  ])('is refused with %s', (_what, change) => {
    expect(cursors.decode(cursors.encode(position, scope), { ...scope, ...change })).toBeUndefined();
  });

  it('refuses a tampered payload or MAC, another secret, and junk', () => {
    const cursor = cursors.encode(position, scope);
    const [payload, mac] = cursor.split('.');
    const forged = Buffer.from(JSON.stringify({ s: position.sendKey, m: 'msg-999', p: 3 })).toString('base64url');
    for (const bad of [`${forged}.${mac}`, `${payload}.${mac.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`, `${payload}.${mac}.x`, payload, '', '.']) {
      expect(cursors.decode(bad, scope)).toBeUndefined();
    }
    expect(new HistoryCursor('another-secret-of-16-chars').decode(cursor, scope)).toBeUndefined();
  });

  it('refuses a well-signed payload of the wrong shape', () => {
    for (const shape of [{ s: 'yesterday', m: 'x', p: 1 }, { s: position.sendKey, m: 'bad id!', p: 1 }, { s: position.sendKey, m: 'x', p: 0 }, { s: position.sendKey, m: 'x' }]) {
      const payload = Buffer.from(JSON.stringify(shape)).toString('base64url');
      // Sign it the way encode does, by encoding a position and swapping in the payload's MAC.
      const signed = signedWith(payload);
      expect(cursors.decode(signed, scope)).toBeUndefined();
    }
  });

  function signedWith(payload: string): string {
    const mac = (cursors as unknown as { mac(p: string, s: CursorScope): Buffer }).mac(payload, scope);
    return `${payload}.${mac.toString('base64url')}`;
  }
});
