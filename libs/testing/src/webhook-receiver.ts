import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * What the receiver does with one request: answer this status; hold it unanswered until closed
 * (`hang`); answer 200 with a body that never ends (`endless`, written until the sender hangs up);
 * or answer 307 to `<path>/moved` on this receiver (`redirect`).
 */
export type ReceiverStep = number | 'hang' | 'endless' | 'redirect';

/** The size of each chunk of an `endless` answer. */
const ENDLESS_CHUNK = Buffer.alloc(16 * 1024, 'x');

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * A webhook receiver for end-to-end tests: a real HTTP server on 127.0.0.1 whose paths follow a
 * script (`500, 500, 200`, `'hang'`, `'endless'`, `'redirect'`; 200 once the script is spent), recording every request so
 * the test can check it with the Standard Webhooks verifier ({@link verifyWebhook}).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly scripts = new Map<string, ReceiverStep[]>();
  private readonly waiters: Array<() => void> = [];
  private server?: Server;

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  /** The URL of a path on this receiver. */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** What the next requests to `path` get, in order. */
  script(path: string, steps: ReceiverStep[]): void {
    this.scripts.set(path, [...steps]);
  }

  requestsTo(path: string): ReceivedWebhook[] {
    return this.received.filter((request) => request.path === path);
  }

  /** Resolves once `path` has received `count` requests. */
  async waitFor(path: string, count: number, timeoutMs = 60_000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requestsTo(path).length < count) {
      if (Date.now() > deadline) throw new Error(`${path} received ${this.requestsTo(path).length} of ${count} webhooks in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.requestsTo(path);
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = request.url ?? '/';
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]));
    this.received.push({ path, headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
    for (const wake of this.waiters.splice(0)) wake();
    const step = this.scripts.get(path)?.shift() ?? 200;
    if (step === 'hang') return; // never answered: the sender's timeout ends it
    if (step === 'redirect') {
      response.writeHead(307, { Location: `${path}/moved`, 'Content-Type': 'text/plain' }).end('moved');
      return;
    }
    if (step === 'endless') {
      response.on('error', () => undefined);
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      const pump = () => {
        while (!response.destroyed && response.write(ENDLESS_CHUNK));
      };
      response.on('drain', pump);
      pump();
      return;
    }
    response.writeHead(step, { 'Content-Type': 'text/plain' }).end(step < 300 ? 'ok' : 'not now');
  }
}

/** Checks a received webhook with the Standard Webhooks verifier and `secret`; returns the parsed body (throws when the signature does not verify). */
export function verifyWebhook(request: ReceivedWebhook, secret: string): any {
  return new Webhook(secret).verify(request.body, request.headers);
}
