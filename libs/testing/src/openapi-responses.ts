import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { OpenAPIBackend, Operation, SetMatchType } from 'openapi-backend';

/**
 * Every HTTP response an end-to-end test receives is recorded here ({@link TestStack} records
 * them), and the e2e jest setup checks them all against docs/openapi.json once the file's tests
 * are done ({@link checkRecordedResponses}): the status is documented for the operation, the body
 * matches its schema, and the documented headers are there when required and valid when sent.
 * The schemas are compiled by openapi-backend (Ajv), once per test file and only for the
 * operations the file called.
 *
 * What is not checked, and why, is counted ({@link ResponseCheck.skipped}) rather than dropped:
 * responses of the ops port (internal, outside the public document), of requests sent through a
 * validating proxy (which checks them itself), and of requests whose method and path match no
 * documented operation (e.g. /docs, /docs-json, deliberate probes of unknown routes).
 */

/** Which server answered. */
export type ResponseOrigin = 'gateway' | 'ops' | 'proxy';

export interface RecordedResponse {
  origin: ResponseOrigin;
  method: string;
  /** Path and query as sent. */
  path: string;
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The body parsed as JSON, or its text when it is not JSON; undefined when empty. */
  body: unknown;
}

export interface ResponseProblem {
  response: string;
  problem: string;
}

export interface ResponseCheck {
  checked: number;
  /** Time spent, the document's compilation included. */
  ms: number;
  problems: ResponseProblem[];
  /** Reason → the responses (METHOD path status) left unchecked for it. */
  skipped: Map<string, string[]>;
}

export const OPENAPI_DOCUMENT = resolve(__dirname, '../../../docs/openapi.json');

export const SKIP_REASONS = {
  ops: 'the ops port (internal: readiness, metrics), outside the public document',
  proxy: 'sent through a validating proxy, which checks them itself',
  undocumented: 'no documented operation has this method and path (docs pages, probes of unknown routes)',
} as const;

const recorded: RecordedResponse[] = [];

/** Adds a response to those the current test file has received. */
export function recordResponse(response: RecordedResponse): void {
  recorded.push(response);
}

/** Takes the responses recorded so far (the record is emptied). */
export function takeRecordedResponses(): RecordedResponse[] {
  return recorded.splice(0, recorded.length);
}

/** What the checks read of a documented response (the document is dereferenced). */
interface DocumentedResponse {
  content?: Record<string, { schema?: unknown }>;
  headers?: Record<string, { required?: boolean }>;
}

/** The compiled document: one per test file, built on the first check. */
class ResponseValidator {
  private constructor(
    private readonly api: OpenAPIBackend,
    /** Relative server URLs (base paths), longest first. */
    private readonly basePaths: string[],
    private readonly anyHeaders: SetMatchType,
  ) {}

  static async open(documentPath: string): Promise<ResponseValidator> {
    const { OpenAPIBackend: Backend, SetMatchType: MatchTypes } = await import('openapi-backend');
    const { default: addFormats } = await import('ajv-formats');
    const definition = JSON.parse(readFileSync(documentPath, 'utf8'));
    const api = new Backend({
      definition,
      // quick: no check of the document itself (the OpenAPI lint does that), validators compiled on first use.
      quick: true,
      validate: true,
      ajvOpts: { allErrors: true },
      customizeAjv: (ajv) => {
        addFormats(ajv);
        return ajv;
      },
    });
    await api.init();
    const basePaths = ((definition.servers ?? []) as Array<{ url: string }>)
      .map((server) => server.url.replace(/\/+$/, ''))
      .filter((url) => url.startsWith('/') && url.length > 0)
      .sort((a, b) => b.length - a.length);
    return new ResponseValidator(api, basePaths, MatchTypes.Any);
  }

  /** The documented operation a request went to, if any: its path is taken relative to each server. */
  operationOf(method: string, pathAndQuery: string): Operation | undefined {
    const path = pathAndQuery.split('?')[0];
    const candidates = [...this.basePaths.filter((base) => path === base || path.startsWith(`${base}/`)).map((base) => path.slice(base.length) || '/'), path];
    for (const candidate of candidates) {
      const operation = this.api.matchOperation({ method: method.toLowerCase(), path: candidate, headers: {} });
      if (operation) return operation;
    }
    return undefined;
  }

  problemsOf(operation: Operation, response: RecordedResponse): string[] {
    const documented = documentedResponse(operation, response.status);
    const route = `${operation.method.toUpperCase()} ${operation.path}`;
    if (!documented) return [`status ${response.status} is not documented for ${route} (documented: ${Object.keys(operation.responses ?? {}).join(', ')})`];
    const problems: string[] = [];
    const mediaTypes = Object.keys(documented.content ?? {});
    const contentType = response.headers['content-type']?.split(';')[0].trim().toLowerCase();
    if (mediaTypes.length && response.body !== undefined && contentType && !mediaTypes.includes(contentType)) {
      problems.push(`Content-Type ${contentType} is not documented for ${route} ${response.status} (documented: ${mediaTypes.join(', ')})`);
    }
    const schema = documented.content?.['application/json']?.schema;
    if (schema && response.body === undefined) problems.push(`no body, where ${route} ${response.status} documents one`);
    else if (schema) {
      const result = this.api.validateResponse(response.body, operation, response.status);
      for (const error of result.errors ?? []) problems.push(`body${error.instancePath} ${error.message}${paramsOf(error.params)}`);
    }
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      if (header.required && response.headers[name.toLowerCase()] === undefined) problems.push(`header ${name} is missing (documented as required)`);
    }
    // Headers sent are checked against their schemas; presence only where the document requires it.
    const headers = this.api.validateResponseHeaders(response.headers, operation, { statusCode: response.status, setMatchType: this.anyHeaders });
    for (const error of headers.errors ?? []) problems.push(`header ${error.instancePath.replace(/^\/headers\//, '')} ${error.message}`);
    return problems;
  }
}

function documentedResponse(operation: Operation, status: number): DocumentedResponse | undefined {
  const responses = (operation.responses ?? {}) as Record<string, DocumentedResponse>;
  return responses[String(status)] ?? responses[`${Math.floor(status / 100)}XX`] ?? responses.default;
}

function paramsOf(params: Record<string, unknown> | undefined): string {
  if (!params) return '';
  const detail = params.allowedValues ?? params.additionalProperty;
  return detail === undefined ? '' : ` (${JSON.stringify(detail)})`;
}

let validator: Promise<ResponseValidator> | undefined;

/** Checks responses against the OpenAPI document (docs/openapi.json unless told). */
export async function checkResponses(responses: RecordedResponse[], documentPath = OPENAPI_DOCUMENT): Promise<ResponseCheck> {
  const started = Date.now();
  const check: ResponseCheck = { checked: 0, ms: 0, problems: [], skipped: new Map() };
  const skip = (reason: string, response: RecordedResponse) => check.skipped.set(reason, [...(check.skipped.get(reason) ?? []), describe(response, false)]);
  for (const response of responses) {
    if (response.origin === 'ops') skip(SKIP_REASONS.ops, response);
    else if (response.origin === 'proxy') skip(SKIP_REASONS.proxy, response);
  }
  const toCheck = responses.filter((response) => response.origin === 'gateway');
  if (!toCheck.length) return check;
  const compiled = await (documentPath === OPENAPI_DOCUMENT ? (validator ??= ResponseValidator.open(documentPath)) : ResponseValidator.open(documentPath));
  for (const response of toCheck) {
    const operation = compiled.operationOf(response.method, response.path);
    if (!operation) {
      skip(SKIP_REASONS.undocumented, response);
      continue;
    }
    check.checked += 1;
    for (const problem of compiled.problemsOf(operation, response)) check.problems.push({ response: describe(response), problem });
  }
  check.ms = Date.now() - started;
  return check;
}

/** Checks what the current test file has recorded; throws, listing every problem, when a response breaks the document. */
export async function checkRecordedResponses(): Promise<ResponseCheck> {
  const responses = takeRecordedResponses();
  const check = await checkResponses(responses);
  if (check.problems.length) {
    const problems = check.problems.map(({ response, problem }) => `  ${response}: ${problem}`);
    throw new Error(
      `${check.problems.length} problem(s) in ${check.checked} response(s) checked against docs/openapi.json:\n` +
        problems.slice(0, 50).join('\n') +
        (problems.length > 50 ? `\n  … and ${problems.length - 50} more` : '') +
        `\n${describeSkipped(check)}`,
    );
  }
  return check;
}

/** One line per reason of the responses left unchecked, with a few of them. */
export function describeSkipped(check: ResponseCheck): string {
  if (!check.skipped.size) return 'Not checked: none';
  const lines = [...check.skipped].map(([reason, responses]) => {
    const distinct = [...new Set(responses)];
    return `  ${responses.length} (${reason}): ${distinct.slice(0, 5).join('; ')}${distinct.length > 5 ? '; …' : ''}`;
  });
  return `Not checked:\n${lines.join('\n')}`;
}

/** The summary of a passed check: how many responses were checked, and what was not, why. */
export function describeCheck(check: ResponseCheck): string {
  return `OpenAPI response check: ${check.checked} response(s) satisfy docs/openapi.json (${check.ms} ms). ${describeSkipped(check)}`;
}

function describe(response: RecordedResponse, withBody = true): string {
  const body = !withBody || response.body === undefined ? '' : ` ${JSON.stringify(response.body).slice(0, 200)}`;
  return `${response.method} ${response.path} → ${response.status}${body}`;
}
