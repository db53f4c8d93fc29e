import { isDateBound, isPlainDate, resolveDateBound, resolveDateRange } from './plain-dates';

describe('plain dates in range bounds', () => {
  it('accepts dates on the calendar and date-times with an offset, not local date-times', () => {
    expect(['2026-04-01', '2024-02-29', '1000-01-01', '9999-12-31'].filter(isPlainDate)).toHaveLength(4);
    expect(['0001-01-01', '0999-12-31', '2026-02-29', '2026-13-01', '2026-04-31', '2026-4-1', '20260401', '2026-04-01 ', 'x'].some(isPlainDate)).toBe(false);
    expect(isDateBound('2026-04-01T10:00:00+02:00')).toBe(true);
    expect(isDateBound('2026-04-01T10:00:00')).toBe(false);
    expect(isDateBound(20260401)).toBe(false);
  });

  it('makes a lower bound the start of its day and an upper bound the last microsecond of it, in UTC by default', () => {
    expect(resolveDateBound('2026-04-01', 'start')).toBe('2026-04-01T00:00:00.000+00:00');
    expect(resolveDateBound('2026-04-01', 'end')).toBe('2026-04-01T23:59:59.999999+00:00');
    expect(resolveDateBound('2026-12-31', 'end')).toBe('2026-12-31T23:59:59.999999+00:00');
    expect(resolveDateBound('2024-02-28', 'end', 'UTC')).toBe('2024-02-28T23:59:59.999999+00:00');
  });

  it("uses the zone's offset of that day, across daylight-saving changes", () => {
    expect(resolveDateBound('2026-04-01', 'start', 'Europe/Paris')).toBe('2026-04-01T00:00:00.000+02:00');
    expect(resolveDateBound('2026-01-15', 'end', 'Europe/Paris')).toBe('2026-01-15T23:59:59.999999+01:00');
    // 2026-03-29 in Paris lasts 23 hours: from +01:00 to +02:00.
    expect(Date.parse(resolveDateBound('2026-03-29', 'end', 'Europe/Paris')) - Date.parse(resolveDateBound('2026-03-29', 'start', 'Europe/Paris'))).toBe(23 * 3_600_000 - 1);
    expect(resolveDateBound('2026-07-04', 'start', 'America/New_York')).toBe('2026-07-04T00:00:00.000-04:00');
    expect(resolveDateBound('2026-04-01', 'start', 'Asia/Kolkata')).toBe('2026-04-01T00:00:00.000+05:30');
  });

  it('starts a day whose midnight does not exist at its first local time', () => {
    // Santiago moves its clocks from 00:00 to 01:00 on 2026-09-06.
    expect(resolveDateBound('2026-09-06', 'start', 'America/Santiago')).toBe('2026-09-06T01:00:00.000-03:00');
  });

  it('keeps date-times as they are and resolves only the named bounds', () => {
    const request = { from: '2026-04-01', to: '2026-04-02T12:00:00Z', other: '2026-04-03' };
    expect(resolveDateRange(request, ['from', 'to'], 'Europe/Paris')).toEqual({ from: '2026-04-01T00:00:00.000+02:00', to: '2026-04-02T12:00:00Z', other: '2026-04-03' });
    expect(request.from).toBe('2026-04-01');
    expect(resolveDateRange({ from: undefined as string | undefined, to: '2026-04-01' }, ['from', 'to'])).toEqual({ from: undefined, to: '2026-04-01T23:59:59.999999+00:00' });
  });
});
