import { Readable } from 'node:stream';
import type { ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, ErrorCode } from './errors';
import { BodyErrorGuard, JSON_BYTES_MESSAGES, jsonBodyParser, jsonBytesProblem, MAX_JSON_DEPTH } from './json-body';

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

describe('jsonBodyParser', () => {
  /** A request stream as Node's HTTP server gives it to the parser. */
  function requestOf(body: string | Buffer, headers: Record<string, string> = {}): Request {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    return Object.assign(Readable.from([bytes]), {
      headers: { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers },
      method: 'POST',
      url: '/exports/contacts',
    }) as unknown as Request;
  }

  function parsed(request: Request): Promise<unknown> {
    return new Promise((done, fail) => jsonBodyParser('1kb')(request, {} as Response, (error?: unknown) => (error ? fail(error) : done(request.body))));
  }

  function refusalOf(request: Request): DomainError | undefined {
    const context = { getType: () => 'http', switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
    try {
      new BodyErrorGuard().canActivate(context);
      return undefined;
    } catch (error) {
      return error as DomainError;
    }
  }

  it('parses JSON, and lets the route run', async () => {
    const request = requestOf('{"listIds":["a"]}');
    expect(await parsed(request)).toEqual({ listIds: ['a'] });
    expect(refusalOf(request)).toBeUndefined();
  });

  it('lets a request without a body through, whatever its Content-Type', async () => {
    const request = requestOf('', { 'content-type': 'text/plain', 'content-length': '0' });
    expect(await parsed(request)).toBeUndefined();
    expect(refusalOf(request)).toBeUndefined();
  });

  it.each([
    ['malformed JSON', requestOf('{"listIds": ['), ErrorCode.Validation, 'The request body is not valid JSON'],
    ['bytes that are not UTF-8', requestOf(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])), ErrorCode.Validation, JSON_BYTES_MESSAGES['not-utf8']],
    ['a body over the limit', requestOf(`{"a":"${'x'.repeat(2000)}"}`), ErrorCode.PayloadTooLarge, 'The request body is larger than 1kb'],
    ['an unsupported charset', requestOf('{}', { 'content-type': 'application/json; charset=latin1' }), ErrorCode.UnsupportedMediaType, expect.stringContaining('JSON in UTF-8')],
    ['an unknown content encoding', requestOf('{}', { 'content-encoding': 'zstd-x' }), ErrorCode.UnsupportedMediaType, expect.stringContaining('Content-Encoding')],
    ['a body of another media type', requestOf('listIds=a', { 'content-type': 'text/plain' }), ErrorCode.UnsupportedMediaType, 'The request body must be JSON, sent as Content-Type: application/json'],
    ['a body without a media type', requestOf('{}', { 'content-type': '' }), ErrorCode.UnsupportedMediaType, expect.stringContaining('application/json')],
  ])('keeps the refusal of %s for after the guards, with its code', async (_case, request, code, message) => {
    expect(await parsed(request)).toBeUndefined();
    const refusal = refusalOf(request);
    expect(refusal).toBeInstanceOf(DomainError);
    expect({ code: refusal?.code, message: refusal?.message }).toEqual({ code, message });
  });
});
