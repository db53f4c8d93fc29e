import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkResponses, RecordedResponse, SKIP_REASONS } from './openapi-responses';

/** A small document in the shape of docs/openapi.json: a base path server, $refs, headers. */
const DOCUMENT = {
  openapi: '3.0.0',
  info: { title: 't', version: '1' },
  servers: [{ url: '/api/partner-gateway/v1' }, { url: '/' }],
  paths: {
    '/exports/{exportId}': {
      get: {
        operationId: 'get',
        parameters: [{ name: 'exportId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'ok',
            headers: { 'X-RateLimit-Limit': { $ref: '#/components/headers/Limit' } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Export' } } },
          },
          '404': { description: 'missing', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          '429': {
            description: 'limited',
            headers: { 'Retry-After': { required: true, schema: { type: 'integer' } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      },
    },
  },
  components: {
    headers: { Limit: { schema: { type: 'integer', minimum: 1 } } },
    schemas: {
      Export: {
        type: 'object',
        required: ['exportId', 'createdAt', 'status'],
        properties: {
          exportId: { type: 'string', format: 'uuid' },
          createdAt: { type: 'string', format: 'date-time' },
          status: { type: 'string', enum: ['PENDING', 'COMPLETED'] },
          nextCursor: { type: 'string', nullable: true },
        },
      },
      Error: { type: 'object', required: ['status', 'code'], properties: { status: { type: 'number' }, code: { type: 'string', enum: ['NOT_FOUND', 'RATE_LIMITED'] } } },
    },
  },
};

const ID = '0b7d6c1e-3f0a-4a8e-9d51-2f4c8e6b1a90';
const EXPORT = { exportId: ID, createdAt: '2026-01-01T00:00:00.000Z', status: 'PENDING', nextCursor: null };
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

function response(overrides: Partial<RecordedResponse>): RecordedResponse {
  return { origin: 'gateway', method: 'GET', path: `/exports/${ID}`, status: 200, headers: { ...JSON_TYPE, 'x-ratelimit-limit': '600' }, body: EXPORT, ...overrides };
}

describe('checkResponses', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'openapi-responses-')), 'openapi.json');
  writeFileSync(file, JSON.stringify(DOCUMENT));
  const problemsOf = async (responses: RecordedResponse[]) => (await checkResponses(responses, file)).problems.map((p) => p.problem);

  it('passes responses that satisfy the document, at the root and under the base path', async () => {
    const check = await checkResponses([response({}), response({ path: `/api/partner-gateway/v1/exports/${ID}?x=1` }), response({ status: 404, headers: JSON_TYPE, body: { status: 404, code: 'NOT_FOUND' } })], file);
    expect(check).toEqual({ checked: 3, ms: expect.any(Number), problems: [], skipped: new Map() });
  });

  it('finds an undocumented status, a body off its schema, a bad or missing header, a wrong content type', async () => {
    expect(await problemsOf([response({ status: 400, body: { status: 400 } })])).toEqual([expect.stringMatching(/^status 400 is not documented for GET \/exports\/\{exportId\} \(documented: 200, 404, 429\)$/)]);
    expect(await problemsOf([response({ body: { ...EXPORT, status: 'DONE', createdAt: 'yesterday', exportId: undefined } })])).toEqual(
      expect.arrayContaining([expect.stringContaining("must have required property 'exportId'"), expect.stringContaining('/createdAt must match format "date-time"'), expect.stringContaining('/status must be equal to one of the allowed values')]),
    );
    expect(await problemsOf([response({ headers: { ...JSON_TYPE, 'x-ratelimit-limit': 'lots' } })])).toEqual([expect.stringMatching(/^header x-ratelimit-limit must be integer/)]);
    expect(await problemsOf([response({ status: 429, headers: JSON_TYPE, body: { status: 429, code: 'RATE_LIMITED' } })])).toEqual(['header Retry-After is missing (documented as required)']);
    expect(await problemsOf([response({ headers: { 'content-type': 'text/html' } })])).toEqual([expect.stringContaining('Content-Type text/html is not documented')]);
    expect(await problemsOf([response({ body: undefined })])).toEqual([expect.stringContaining('no body')]);
  });

  it('counts, with the reason, what it does not check: the ops port, proxied requests, routes outside the document', async () => {
    const check = await checkResponses(
      [response({ origin: 'ops', path: '/metrics' }), response({ origin: 'proxy' }), response({ path: '/docs-json' }), response({ method: 'DELETE' }), response({ path: '/api/partner-gateway/v2/exports/x' })],
      file,
    );
    expect(check.checked).toBe(0);
    expect(Object.fromEntries([...check.skipped].map(([reason, responses]) => [reason, responses.length]))).toEqual({
      [SKIP_REASONS.ops]: 1,
      [SKIP_REASONS.proxy]: 1,
      [SKIP_REASONS.undocumented]: 3,
    });
  });
});
