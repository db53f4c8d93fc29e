import { createServer, Server, Socket, connect } from 'node:net';

/**
 * A TCP proxy in the test process, to take a dependency away from an app without stopping it
 * for everyone else on the machine: {@link cut} resets every live connection and every new one
 * until {@link restore}.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  private listenPort = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  get port(): number {
    return this.listenPort;
  }

  get isCut(): boolean {
    return this.refusing;
  }

  /** Listens on 127.0.0.1, on a free port. */
  async start(): Promise<this> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolveListen());
    });
    this.server = server;
    this.listenPort = (server.address() as { port: number }).port;
    return this;
  }

  /** Resets every connection now open, and each new one, until {@link restore}. */
  cut(): void {
    this.refusing = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  restore(): void {
    this.refusing = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolveClose) => (this.server ? this.server.close(() => resolveClose()) : resolveClose()));
    this.server = undefined;
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        (socket === client ? upstream : client).destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
