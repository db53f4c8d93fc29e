import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

/** The most of a receiver's answer that is read; the rest is dropped with the connection. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface SendResult {
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  latencyMs: number;
  /** Why the attempt failed, when it did (an answer that is not 2xx included). */
  error?: string;
}

export interface WebhookSenderOptions {
  timeoutMs: number;
  /** Plain http, loopback and private addresses allowed (development and tests only). */
  allowInsecure: boolean;
}

/**
 * POSTs deliveries to receivers, safely: every address a host name resolves to is checked before
 * connecting (no private, loopback, link-local or metadata address, unless `allowInsecure`),
 * redirects are not followed (a 3xx is a failure), the whole attempt is bounded by the timeout,
 * and at most {@link MAX_RESPONSE_BYTES} of the answer are read.
 */
export class WebhookSender {
  private readonly httpAgent: Agent;
  private readonly httpsAgent: Agent;

  constructor(private readonly options: WebhookSenderOptions) {
    const filter = { allowPrivateIPAddress: options.allowInsecure, allowMetaIPAddress: false, keepAlive: false };
    this.httpAgent = new RequestFilteringHttpAgent(filter);
    this.httpsAgent = new RequestFilteringHttpsAgent(filter);
  }

  send(target: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = Date.now();
    const elapsed = () => Date.now() - started;
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return Promise.resolve({ latencyMs: 0, error: 'Refused: the URL is not valid' });
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.options.allowInsecure)) {
      return Promise.resolve({ latencyMs: 0, error: `Refused: ${url.protocol} URLs are not allowed; use https` });
    }
    const payload = Buffer.from(body, 'utf8');
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (result: Omit<SendResult, 'latencyMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, latencyMs: elapsed() });
      };
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(url, {
        method: 'POST',
        agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
        headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(payload.length), 'User-Agent': 'exports-webhooks/1' },
      });
      const timer = setTimeout(() => {
        finish({ error: `Timed out after ${this.options.timeoutMs} ms` });
        request.destroy();
      }, this.options.timeoutMs);
      request.on('error', (error) => finish({ error: refusalOrError(error) }));
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        const done = () => {
          finish(status >= 200 && status < 300 ? { status } : { status, error: failureOf(status) });
          response.destroy();
        };
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read >= MAX_RESPONSE_BYTES) done();
        });
        response.on('end', done);
        response.on('error', done);
      });
      request.end(payload);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function failureOf(status: number): string {
  if (status >= 300 && status < 400) return `The receiver answered ${status} (a redirect, not followed)`;
  return `The receiver answered ${status}`;
}

function refusalOrError(error: Error): string {
  const message = error.message || String(error);
  // request-filtering-agent: "DNS lookup <address>(family:…, host:…) is not allowed. Because, It is private IP address."
  if (/is not allowed/.test(message)) return `Refused: ${message}`;
  return `Could not deliver: ${message}`;
}
