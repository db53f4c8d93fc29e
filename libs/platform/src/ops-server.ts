import { createServer, Server } from 'node:http';
import { Logger } from '@nestjs/common';
import { Metrics } from './metrics';

export type ReadinessCheck = () => Promise<Record<string, string>>;

/**
 * The small HTTP side of a worker app, which has no API: `GET /metrics` for
 * Prometheus, `GET /health/live`, and `GET /health/ready` (503 naming what is down).
 */
export class OpsServer {
  private readonly logger = new Logger(OpsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: Metrics,
    private readonly ready: ReadinessCheck,
  ) {}

  async listen(port: number): Promise<number> {
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const reply = (status: number, body: string, type = 'application/json') => {
        response.writeHead(status, { 'Content-Type': type });
        response.end(body);
      };
      if (request.method !== 'GET') return reply(405, JSON.stringify({ status: 405, error: 'Method Not Allowed', message: 'Only GET is served here' }));
      if (path === '/metrics') {
        void this.metrics.render().then(({ contentType, body }) => reply(200, body, contentType));
      } else if (path === '/health/live') {
        reply(200, JSON.stringify({ status: 'ok' }));
      } else if (path === '/health/ready') {
        void this.ready().then((checks) => {
          const down = Object.entries(checks).filter(([, value]) => value !== 'ok');
          reply(down.length ? 503 : 200, JSON.stringify({ status: down.length ? `unavailable: ${down.map(([name]) => name).join(', ')}` : 'ok', checks }));
        });
      } else {
        reply(404, JSON.stringify({ status: 404, error: 'Not Found', message: `No route ${path}` }));
      }
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '0.0.0.0', () => resolve());
    });
    const address = this.server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    this.logger.log({ message: 'Ops endpoints listening', port: bound });
    return bound;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

/** Runs a dependency probe with a time limit; 'ok' or 'down: <reason>'. */
export async function probe(check: () => Promise<unknown>, timeoutMs = 2000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (error) {
    return `down: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
