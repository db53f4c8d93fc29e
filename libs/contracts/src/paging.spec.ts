import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ListExportsRpcRequest } from './export-rpc.dto';
import { ListExportsQueryDto } from './export-resource.dto';
import { BrowseMessageHistoryQueryDto } from './history.dto';
import { MAX_OFFSET, MAX_PAGE } from './paging';

const badFields = (cls: new () => object, plain: Record<string, unknown>) =>
  validateSync(plainToInstance(cls, plain), { whitelist: true, forbidNonWhitelisted: true }).map((e) => e.property).sort();

describe('paged inputs', () => {
  const browse = { channel: 'SMS', from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' };

  it.each(['1e20', '1e9', '1.5', '0x10', ' 7', '', '-1', String(MAX_PAGE + 1), '99999999999999999999'])('refuses page=%j from a query string, naming page', (page) => {
    expect(badFields(ListExportsQueryDto, { page })).toEqual(['page']);
    expect(badFields(BrowseMessageHistoryQueryDto, { ...browse, page })).toEqual(['page']);
  });

  it.each([1e20, 1e9, 1.5, -1, MAX_PAGE + 1, Number.MAX_SAFE_INTEGER])('refuses page %j in a JSON payload', (page) => {
    expect(badFields(ListExportsRpcRequest, { accountId: '0b7d6c1e-3f0a-4a8e-9d51-2f4c8e6b1a90', page })).toEqual(['page']);
  });

  it.each(['1e9', '1e2', '101', '0', '2.0'])('refuses limit=%j, naming limit', (limit) => {
    expect(badFields(ListExportsQueryDto, { limit })).toEqual(['limit']);
    expect(badFields(BrowseMessageHistoryQueryDto, { ...browse, limit })).toEqual(['limit']);
  });

  it(`bounds page × limit by ${MAX_OFFSET}, inclusive`, () => {
    expect(badFields(ListExportsQueryDto, { page: String(MAX_OFFSET / 100), limit: '100' })).toEqual([]);
    expect(badFields(ListExportsQueryDto, { page: String(MAX_OFFSET / 100 + 1), limit: '100' })).toEqual(['page']);
    expect(badFields(BrowseMessageHistoryQueryDto, { ...browse, page: String(MAX_PAGE) })).toEqual([]);
    expect(badFields(BrowseMessageHistoryQueryDto, { ...browse, page: '2001', limit: '100' })).toEqual(['page']);
  });

  it('reads plain digits as numbers', () => {
    expect(plainToInstance(ListExportsQueryDto, { page: '3', limit: '25' })).toMatchObject({ page: 3, limit: 25 });
  });
});
