import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { BrowseMessageHistoryQueryDto } from './history.dto';
import { browseViolations, deliveryReportsExportViolations, describeViolations, messageHistoryExportViolations } from './request-rules';
import { isIsoDateTimeWithOffset } from './validators';

const fields = (violations: { field: string }[]) => [...new Set(violations.map((v) => v.field))].sort();

describe('deliveryReportsExportViolations', () => {
  it('needs campaignId or both bounds', () => {
    expect(fields(deliveryReportsExportViolations({}, 366))).toEqual(['campaignId', 'endDateTime', 'startDateTime']);
    expect(fields(deliveryReportsExportViolations({ startDateTime: '2026-01-01T00:00:00Z' }, 366))).toEqual(['campaignId', 'endDateTime']);
    expect(deliveryReportsExportViolations({ campaignId: 'c' }, 366)).toEqual([]);
    expect(deliveryReportsExportViolations({ campaignId: 'c', endDateTime: '2026-01-01T00:00:00Z' }, 366)).toEqual([]);
  });

  it('orders the bounds and bounds the range, inclusive of the limit', () => {
    expect(fields(deliveryReportsExportViolations({ startDateTime: '2026-01-02T00:00:00Z', endDateTime: '2026-01-01T00:00:00Z' }, 366))).toEqual(['endDateTime']);
    expect(deliveryReportsExportViolations({ startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2026-01-11T00:00:00Z' }, 10)).toEqual([]);
    const tooLong = deliveryReportsExportViolations({ campaignId: 'c', startDateTime: '2026-01-01T00:00:00Z', endDateTime: '2026-01-11T00:00:00.001Z' }, 10);
    expect(describeViolations(tooLong)).toBe('The request is not valid: startDateTime and endDateTime must be at most 10 days apart');
  });
});

describe('messageHistoryExportViolations', () => {
  it('compares instants, not strings', () => {
    expect(messageHistoryExportViolations({ startDateTime: '2026-01-01T10:00:00+02:00', endDateTime: '2026-01-01T09:00:00Z' }, 366)).toEqual([]);
    expect(fields(messageHistoryExportViolations({ startDateTime: '2026-01-01T10:00:00Z', endDateTime: '2026-01-01T11:00:00+02:00' }, 366))).toEqual(['endDateTime']);
  });
});

describe('browseViolations', () => {
  const query = (extra: Partial<BrowseMessageHistoryQueryDto>) => Object.assign(new BrowseMessageHistoryQueryDto(), { channel: ['SMS'], from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', ...extra });

  it('lets from > to through (an empty page) but not a range over the limit', () => {
    expect(browseViolations(query({ from: '2026-03-01T00:00:00Z' }), 366)).toEqual([]);
    expect(fields(browseViolations(query({ from: '2024-01-01T00:00:00Z' }), 366))).toEqual(['from', 'to']);
  });

  it('refuses page with cursor', () => {
    expect(fields(browseViolations(query({ page: 2, cursor: 'a.b' }), 366))).toEqual(['page']);
  });
});

describe('BrowseMessageHistoryQueryDto', () => {
  const validate = (plain: Record<string, unknown>) => {
    const dto = plainToInstance(BrowseMessageHistoryQueryDto, plain);
    return { dto, errors: validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }).map((e) => e.property) };
  };

  it('reads lists from repeated, comma-separated and array values, and restores an unencoded +', () => {
    const { dto, errors } = validate({ channel: 'SMS,RCS', status: ['SENT', 'ERROR,DELIVERED'], from: '2026-01-01T00:00:00 01:00', to: '2026-01-02T00:00:00Z', limit: '5' });
    expect(errors).toEqual([]);
    expect(dto).toMatchObject({ channel: ['SMS', 'RCS'], status: ['SENT', 'ERROR', 'DELIVERED'], from: '2026-01-01T00:00:00+01:00', limit: 5 });
  });

  it('defaults limit to 20 and names each bad parameter', () => {
    expect(validate({ channel: 'SMS', from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }).dto.limit).toBe(20);
    expect(validate({ channel: 'FAX', from: '2026-01-01T00:00', to: '2026-01-02T00:00:00', limit: '101', page: '-1', cursor: 'x' }).errors.sort()).toEqual(['channel', 'cursor', 'from', 'limit', 'page', 'to']);
  });
});

describe('isIsoDateTimeWithOffset', () => {
  it.each([
    '2026-01-01T00:00:00Z',
    '2024-02-29T23:59:59.999+14:00',
    '2000-02-29T00:00:00+01:00',
    '2026-12-31T00:00-05:30',
    '2026-01-01T00:00:00.123456789Z',
    '0001-01-01T00:00:00Z',
    '2026-01-01T00:00:00+14:59',
  ])('accepts %s', (value) => {
    expect(isIsoDateTimeWithOffset(value)).toBe(true);
  });

  it.each([
    '2026-02-29T00:00:00Z',
    '2100-02-29T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:60:00Z',
    '2026-01-01T23:59:60Z',
    '2026-01-01T00:00:00+16:00',
    '2026-01-01T00:00:00+15:00',
    '2026-01-01T00:00:00+01:60',
    '2026-01-01',
    '2026-01-01T00:00:00',
    '2026-01-01T00:00:00.1234567890Z',
  ])(
    'refuses %s',
    (value) => {
      expect(isIsoDateTimeWithOffset(value)).toBe(false);
    },
  );
});
