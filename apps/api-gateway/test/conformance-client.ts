import { createHash } from 'node:crypto';
import { HttpResult, sleep, TestStack } from '@exports/testing';

/** The platform base path of the partner gateway v1, as the public documentation gives it. */
export const BASE_PATH = '/api/partner-gateway/v1';

/**
 * A client of the partner gateway as its documentation describes it: every request under one
 * base path, the key in `X-Api-Key`, nothing else known about the server.
 */
export class PartnerGatewayClient {
  constructor(
    private readonly stack: TestStack,
    readonly apiKey: string | undefined,
    readonly basePath: string = BASE_PATH,
  ) {}

  /** The same client at another base path (e.g. the root, `''`). */
  at(basePath: string): PartnerGatewayClient {
    return new PartnerGatewayClient(this.stack, this.apiKey, basePath);
  }

  get<T = any>(path: string): Promise<HttpResult<T>> {
    return this.stack.http<T>('GET', this.basePath + path, { apiKey: this.apiKey });
  }

  post<T = any>(path: string, body?: unknown): Promise<HttpResult<T>> {
    return this.stack.http<T>('POST', this.basePath + path, { apiKey: this.apiKey, body });
  }

  /**
   * Step 2 of the workflow: polls `GET /exports/{exportId}` until the export leaves PENDING,
   * every answer kept; it waits 100 ms between requests at first, up to 500 ms.
   */
  async pollExport(exportId: string, timeoutMs = 30_000): Promise<{ final: HttpResult; polls: HttpResult[] }> {
    const deadline = Date.now() + timeoutMs;
    const polls: HttpResult[] = [];
    for (let wait = 100; ; wait = Math.min(wait * 1.5, 500)) {
      const response = await this.get(`/exports/${exportId}`);
      polls.push(response);
      if (response.status !== 200 || response.body?.status !== 'PENDING') return { final: response, polls };
      if (Date.now() > deadline) throw new Error(`Export ${exportId} still PENDING after ${timeoutMs} ms`);
      await sleep(wait);
    }
  }
}

/** Step 3 of the workflow: the file at `downloadUrl`, as bytes (no key: the link is the credential). */
export async function downloadFile(url: string): Promise<{ status: number; bytes: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
