import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
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

interface Problem {
  severity: 'error' | 'warn';
  ruleId: string;
  message: string;
  pointer?: string;
}

interface Operation {
  method: string;
  path: string;
  security: Array<Record<string, string[]>>;
  responses: Record<string, { headers?: Record<string, unknown> }>;
}

/**
 * Redocly's linter (the `recommended` rules) in a plain node process: the package is
 * ES modules only, which jest's CommonJS runtime cannot load.
 */
function lint(source: string): Promise<Problem[]> {
  const script = `
    import { createConfig, lintFromString } from '@redocly/openapi-core';
    let source = '';
    for await (const chunk of process.stdin) source += chunk;
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source, absoluteRef: 'openapi.json', config });
    process.stdout.write(JSON.stringify(problems.map((p) => ({ severity: p.severity, ruleId: p.ruleId, message: p.message, pointer: p.location?.[0]?.pointer }))));
  `;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done(JSON.parse(stdout) as Problem[]) : fail(new Error(`The OpenAPI linter exited with ${code}:\n${stderr}`))));
    child.stdin.end(source);
  });
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
  let servedText: string;
  let account: CreatedAccount;

  beforeAll(async () => {
    await stack.start();
    account = await stack.createAccount('openapi');
    const response = await fetch(`${stack.baseUrl}/docs-json`);
    expect(response.status).toBe(200);
    servedText = await response.text();
    served = JSON.parse(servedText);
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

  it('passes the OpenAPI linter (Redocly, recommended rules) without errors', async () => {
    const problems = await lint(servedText);
    const describe = (p: Problem) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.pointer ?? '#'}`;
    const warnings = problems.filter((p) => p.severity !== 'error');
    if (warnings.length) console.warn(`OpenAPI linter warnings:\n${warnings.map(describe).join('\n')}`);
    expect(problems.filter((p) => p.severity === 'error').map(describe)).toEqual([]);
  }, 60_000);

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
        if (status.startsWith('2') && !json?.schema) gaps.push(`${route} ${status}: no body schema`);
        if (/^[45]/.test(status) && json?.example === undefined && json?.examples === undefined && json?.schema?.example === undefined) {
          gaps.push(`${route} ${status}: no example`);
        }
      }
    }
    expect(gaps).toEqual([]);
  });

  it('gives an example for every field of the export resource, the download link and the error envelope', () => {
    // Swagger UI builds the body examples from these; the other schemas should follow.
    const schemas = ['ExportResourceDto', 'ExportProgressDto', 'ExportErrorDto', 'ExportPageDto', 'DownloadLinkDto', 'ErrorEnvelopeDto', 'FieldErrorDto', 'CreateContactsExportDto'];
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
    expect(documented('/exports', '200')).toEqual(['X-RateLimit-Limit', 'X-RateLimit-Remaining']);
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
