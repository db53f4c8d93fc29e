import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as connectTcp, createServer } from 'node:net';
import { NatsNamespace } from '@exports/contracts';
import { NatsDeployment } from '@exports/platform';

/** The nats-server binary: NATS_SERVER_BIN, else Debian's, else the one on PATH. */
export function natsServerBinary(): string {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';
}

/**
 * A port for a server a child process will open later and may reopen after a restart, so it
 * must stay free: below the kernel's ephemeral range (32768 and up on Linux), where no outgoing
 * connection takes it meanwhile, and checked free now. Ports of servers this process opens at
 * once come from `freePort`.
 */
export async function reservedRangePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await canListen(port)) return port;
  }
  throw new Error('No free port found between 20000 and 31999');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * A nats-server of our own, run from a deployment's generated config (authenticated, with
 * per-identity permissions and JetStream): the test stacks' and `npm start`'s. Stop and start
 * again keep its port and its JetStream store.
 */
export class NatsServerProcess {
  private child?: ChildProcess;
  private output: string[] = [];
  private reloads = 0;

  constructor(readonly deployment: NatsDeployment) {}

  get url(): string {
    const { host, port } = this.deployment.settings;
    return `nats://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  }

  get namespace(): NatsNamespace {
    return new NatsNamespace(this.deployment.settings.namespace);
  }

  async start(timeoutMs = 15_000): Promise<void> {
    if (this.child) return;
    const child = spawn(natsServerBinary(), ['-c', this.deployment.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer) => {
      const lines = chunk.toString().split('\n').filter(Boolean);
      this.reloads += lines.filter((line) => line.includes('Reloaded server configuration')).length;
      this.output.push(...lines);
      if (this.output.length > 200) this.output = this.output.slice(-100);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => {
        if (this.child === child) this.child = undefined;
        reject(new Error(`nats-server exited with ${code}:\n${this.output.slice(-20).join('\n')}`));
      }),
    );
    exited.catch(() => undefined);
    const { port } = this.deployment.settings;
    await Promise.race([exited, waitForInfo(port, timeoutMs)]);
  }

  /** Reads the config again (new or removed identities) without dropping connections. */
  async reload(): Promise<void> {
    if (!this.child) throw new Error('nats-server is not running');
    // The server logs the reload once it has applied it.
    const before = this.reloads;
    this.child.kill('SIGHUP');
    const deadline = Date.now() + 5_000;
    while (this.reloads <= before) {
      if (Date.now() > deadline) throw new Error(`nats-server did not reload:\n${this.output.slice(-10).join('\n')}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    await new Promise<void>((resolveExit) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolveExit();
      });
      child.kill('SIGTERM');
    });
  }
}

/** Waits until the server on `port` sends its INFO line. */
async function waitForInfo(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((answer) => {
      const socket = connectTcp({ host: '127.0.0.1', port });
      socket.setTimeout(1000);
      socket.once('data', (data) => {
        socket.destroy();
        answer(data.toString().startsWith('INFO'));
      });
      socket.once('timeout', () => (socket.destroy(), answer(false)));
      socket.once('error', () => answer(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nats-server did not answer on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}
