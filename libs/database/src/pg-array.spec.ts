import { pgArray } from './pg-array';

describe('pgArray', () => {
  it('leaves plain elements bare and writes a missing value as NULL', () => {
    expect(pgArray(['0c68a5a6-2a1a-418e-bcac-befa23e35773', '2026-01-01T00:00:00.5+01:00', 'SMS', null, undefined])).toBe(
      '{0c68a5a6-2a1a-418e-bcac-befa23e35773,2026-01-01T00:00:00.5+01:00,SMS,NULL,NULL}',
    );
  });

  it('quotes what array input would otherwise split, trim or read as NULL, escaping quotes and backslashes', () => {
    expect(pgArray(['', 'NULL', 'null', 'a,b', 'a b', '{x}', 'say "hi"', 'C:\\dir'])).toBe('{"","NULL","null","a,b","a b","{x}","say \\"hi\\"","C:\\\\dir"}');
  });

  it('writes numbers as JavaScript prints them', () => {
    expect(pgArray([0.045, 1e-7, 3, null])).toBe('{0.045,1e-7,3,NULL}');
  });

  it('writes an empty array as {}', () => {
    expect(pgArray([])).toBe('{}');
  });
});
