import { EXPORT_COLUMNS, ExportType } from '@exports/contracts';
import { EXPORT_SOURCES } from '.';

describe('EXPORT_SOURCES', () => {
  it.each(Object.values(ExportType))('%s: the source writes the documented columns, in their order', (type) => {
    expect(EXPORT_SOURCES[type].type).toBe(type);
    expect(EXPORT_SOURCES[type].columns.map((column) => column.name)).toEqual(EXPORT_COLUMNS[type]);
  });
});
