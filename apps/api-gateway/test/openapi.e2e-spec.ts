import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { CreatedAccount } from '@exports/database';
import { TestStack } from '@exports/testing';

const ROOT = resolve(__dirname, '../../..');
const COMMITTED = resolve(ROOT, 'docs/openapi.json');
/** Debian's chromium (`apt-get install -y chromium`); the browser test fails without it. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface Operation {
  method: string;
  path: string;
  security: Array<Record<string, string[]>>;
  responses: Record<string, { headers?: Record<string, unknown> }>;
}

function operationsOf(document: { paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ method, path, ...operation })),
  );
}

/** The OpenAPI document as served, checked against the committed one, a linter, the behaviour and a browser. */
describe('OpenAPI (e2e)', () => {
  const stack = new TestStack({ apps: ['api-gateway'] });
  let served: any;
  let account: CreatedAccount;

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('openapi');
    const response = await stack.http('GET', '/docs-json');
    expect(response.status).toBe(200);
    served = response.body;
  }, 120_000);

  afterAll(() => stack.stop(), 60_000);

  it('serves the committed docs/openapi.json', () => {
    const regenerate = 'run "npm run openapi" and commit docs/openapi.json';
    if (!existsSync(COMMITTED)) throw new Error(`docs/openapi.json is missing: ${regenerate}`);
    try {
      expect(served).toEqual(JSON.parse(readFileSync(COMMITTED, 'utf8')));
    } catch (error) {
      throw new Error(`The OpenAPI document served at /docs-json differs from docs/openapi.json: ${regenerate}.\n\n${(error as Error).message}`);
    }
  });

  // The linters (Redocly `recommended`, Spectral `spectral:oas`, no error nor warning) run on the
  // committed file in `npm run lint:openapi`; the test above makes it the served one.

  it('lists the platform base path and the root as servers, and serves the routes at both', async () => {
    expect(served.servers.map((server: { url: string }) => server.url)).toEqual(['/api/partner-gateway/v1', '/']);
    for (const base of ['/api/partner-gateway/v1', '']) {
      const [live, list] = await Promise.all([stack.http('GET', `${base}/health/live`), stack.http('GET', `${base}/exports`, { apiKey: account.apiKey })]);
      expect({ base, live: live.status, list: list.status }).toEqual({ base, live: 200, list: 200 });
    }
  });

  it('refuses, as documented, a body GET /health/live cannot read: not JSON 400, too large 413, unknown encoding 415', async () => {
    // fetch sends no body with a GET: node:http does.
    const send = (body: string, headers: Record<string, string>) =>
      new Promise<{ status: number; body: any }>((done, fail) => {
        const call = request(
          { host: '127.0.0.1', port: stack.port, method: 'GET', path: '/health/live', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } },
          (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk));
            response.on('end', () => done({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : text }));
            response.on('error', fail);
          },
        );
        call.on('error', fail);
        call.end(body);
      });
    const answers = [await send('{not json', {}), await send(JSON.stringify({ pad: 'x'.repeat(70_000) }), {}), await send('{}', { 'content-encoding': 'compress-of-its-own' })];
    expect(answers.map((answer) => [answer.status, answer.body.code])).toEqual([
      [400, 'VALIDATION_FAILED'],
      [413, 'PAYLOAD_TOO_LARGE'],
      [415, 'UNSUPPORTED_MEDIA_TYPE'],
    ]);
    expect(Object.keys(served.paths['/health/live'].get.responses)).toEqual(expect.arrayContaining(['200', '400', '413', '415']));
  });

  it('documents every route: a summary, a success response, body schemas, an example of each error', () => {
    const operations = operationsOf(served);
    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`)).toEqual(
      expect.arrayContaining(['POST /exports/contacts', 'GET /exports', 'GET /exports/{exportId}', 'POST /exports/{exportId}', 'GET /health/live']),
    );
    // Readiness and metrics live on the internal ops port, outside the public API.
    expect(Object.keys(served.paths)).not.toEqual(expect.arrayContaining(['/health/ready']));
    expect(Object.keys(served.paths)).not.toEqual(expect.arrayContaining(['/metrics']));
    const gaps: string[] = [];
    for (const { method, path } of operations) {
      const operation = served.paths[path][method];
      const route = `${method.toUpperCase()} ${path}`;
      if (!operation.summary) gaps.push(`${route}: no summary`);
      if (operation.requestBody && !operation.requestBody.content?.['application/json']?.schema) gaps.push(`${route}: request body without a schema`);
      const statuses = Object.keys(operation.responses);
      if (!statuses.some((status) => status.startsWith('2'))) gaps.push(`${route}: no success response`);
      for (const status of statuses) {
        const json = operation.responses[status].content?.['application/json'];
        // 204 No Content has no body to describe (DELETE /webhooks/{webhookId}); it must have none.
        if (status === '204' && operation.responses[status].content) gaps.push(`${route} 204: a body schema on No Content`);
        else if (status.startsWith('2') && status !== '204' && !json?.schema) gaps.push(`${route} ${status}: no body schema`);
        if (/^[45]/.test(status) && json?.example === undefined && json?.examples === undefined && json?.schema?.example === undefined) {
          gaps.push(`${route} ${status}: no example`);
        }
      }
    }
    expect(gaps).toEqual([]);
  });

  it('gives an example for every field of the export resource, the download link and the error envelope', () => {
    // Swagger UI builds the body examples from these; the other schemas should follow.
    const schemas = ['ExportResourceDto', 'ExportProgressDto', 'ExportErrorDto', 'ExportPageDto', 'ExportDetailDto', 'ErrorEnvelopeDto', 'FieldErrorDto', 'CreateContactsExportDto', 'ExportDownloadDto', 'ExportDownloadPageDto', 'ExportDownloadLinkDto'];
    const gaps = schemas.flatMap((name) =>
      Object.entries<any>(served.components.schemas[name].properties)
        .filter(([, property]) => property.example === undefined && !property.$ref && !property.items?.$ref && !property.allOf)
        .map(([field]) => `${name}.${field}`),
    );
    expect(gaps).toEqual([]);
  });

  it('says which routes need the key, as the gateway enforces it', async () => {
    for (const operation of operationsOf(served)) {
      const keyed = operation.security.some((requirement) => 'apiKey' in requirement);
      const path = operation.path.replace(/\{[^}]+\}/g, randomUUID());
      const { status } = await stack.http(operation.method.toUpperCase(), path);
      expect({ route: `${operation.method.toUpperCase()} ${operation.path}`, unauthorized: status === 401 }).toEqual({
        route: expect.any(String),
        unauthorized: keyed,
      });
    }
  });

  it('sends the documented rate-limit headers', async () => {
    const documented = (path: string, status: string) => Object.keys(served.paths[path].get.responses[status].headers ?? {});
    expect(documented('/exports', '200')).toEqual(['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']);
    const list = await stack.http('GET', '/exports', { apiKey: account.apiKey });
    const missing = await stack.http('GET', `/exports/${randomUUID()}`, { apiKey: account.apiKey });
    expect([list.status, missing.status]).toEqual([200, 404]);
    for (const name of documented('/exports', '200')) expect(list.headers.get(name)).toMatch(/^\d+$/);
    for (const name of documented('/exports/{exportId}', '404')) expect(missing.headers.get(name)).toMatch(/^\d+$/);
    expect(served.paths['/exports/contacts'].post.responses['429'].headers).toHaveProperty('Retry-After');
  });

  it('renders the routes in Swagger UI at /docs (headless Chromium)', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const response = await page.goto(`${stack.baseUrl}/docs`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      await page.locator('.opblock-summary-path').first().waitFor({ timeout: 30_000 });
      expect(await page.locator('.info .title').innerText()).toContain('Exports API');
      const rendered = await page.locator('.opblock-summary-path').evaluateAll((elements) => elements.map((element) => element.getAttribute('data-path')));
      expect(new Set(rendered)).toEqual(new Set(Object.keys(served.paths)));
      for (const path of ['/exports/contacts', '/exports/{exportId}']) expect(rendered).toContain(path);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
