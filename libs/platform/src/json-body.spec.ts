import { jsonBytesProblem, MAX_JSON_DEPTH } from './json-body';

describe('jsonBytesProblem', () => {
  const bytes = (text: string) => Buffer.from(text, 'utf8');

  it('passes ordinary JSON, brackets inside strings and escaped quotes included', () => {
    expect(jsonBytesProblem(bytes('{"a":[1,{"b":"[[[[\\"{{{{"}],"c":"é"}'))).toBeUndefined();
    expect(jsonBytesProblem(bytes(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`))).toBeUndefined();
  });

  it('refuses nesting past the maximum without recursing', () => {
    expect(jsonBytesProblem(bytes(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`))).toBe('too-deep');
    expect(jsonBytesProblem(bytes(`{"a":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_001)}`))).toBe('too-deep');
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(jsonBytesProblem(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]))).toBe('not-utf8');
    expect(jsonBytesProblem(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toBe('not-utf8');
  });
});
