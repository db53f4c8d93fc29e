import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

/** The most of a receiver's answer that is read; the rest is dropped with the connection. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** The loopback addresses `allowInsecure` lets through (exact addresses, as the agent compares them). */
const LOOPBACK_ADDRESSES = ['127.0.0.1', '::1'];
/**
 * Cloud metadata services, refused whatever the settings: AWS, GCP, Azure and the like (169.254.169.254,
 * link-local, which the agent refuses anyway), AWS over IPv6 (fd00:ec2::254) and Alibaba (100.100.100.200).
 */
const METADATA_ADDRESSES = ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200'];

export interface SendResult {
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  latencyMs: number;
  /** Why the attempt failed, when it did (an answer that is not 2xx included). */
  error?: string;
}

export interface WebhookSenderOptions {
  timeoutMs: number;
  /** Plain http and loopback addresses allowed (development and tests only); private, link-local and metadata addresses never are. */
  allowInsecure: boolean;
}

/**
 * POSTs deliveries to receivers, safely: every address a host name resolves to is checked before
 * connecting (no private, link-local or metadata address ever; no loopback unless `allowInsecure`),
 * redirects are not followed (a 3xx is a failure), the whole attempt is bounded by the timeout,
 * and at most {@link MAX_RESPONSE_BYTES} of the answer are read.
 */
export class WebhookSender {
  private readonly httpAgent: Agent;
  private readonly httpsAgent: Agent;

  constructor(private readonly options: WebhookSenderOptions) {
    const filter = {
      // Never private, link-local or metadata addresses; loopback (only) with `allowInsecure`.
      allowPrivateIPAddress: false,
      allowMetaIPAddress: false,
      allowIPAddressList: options.allowInsecure ? LOOPBACK_ADDRESSES : [],
      denyIPAddressList: METADATA_ADDRESSES,
      keepAlive: false,
    };
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
