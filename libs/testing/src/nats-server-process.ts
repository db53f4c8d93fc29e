import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as connectTcp, createServer } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connect, NatsConnection, StorageType } from 'nats';
import { NatsNamespace } from '@exports/contracts';
import { NatsDeployment, natsConnectionOptions } from '@exports/platform';

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
 * again keep its port and its JetStream store. With `node`, one node of the deployment's cluster.
 */
export class NatsServerProcess {
  private child?: ChildProcess;
  private output: string[] = [];
  private reloads = 0;

  constructor(
    readonly deployment: NatsDeployment,
    readonly node?: string,
  ) {
    if (node && !deployment.clusterNode(node)) throw new Error(`No NATS cluster node "${node}"`);
  }

  get url(): string {
    const { host } = this.deployment.settings;
    const address = this.node ? this.deployment.clusterNode(this.node)!.address : host;
    return `nats://${address === '0.0.0.0' ? '127.0.0.1' : address}:${this.port}`;
  }

  private get port(): number {
    return this.node ? this.deployment.clusterNode(this.node)!.port : this.deployment.settings.port;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get namespace(): NatsNamespace {
    return new NatsNamespace(this.deployment.settings.namespace);
  }

  async start(timeoutMs = 15_000): Promise<void> {
    if (this.child) return;
    const configFile = this.node ? this.deployment.nodeConfigFile(this.node) : this.deployment.configFile;
    const child = spawn(natsServerBinary(), ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    await Promise.race([exited, waitForInfo(this.port, timeoutMs)]);
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

  /** Stops the server (SIGTERM, SIGKILL after 10 s); `SIGKILL` kills it at once, as a machine lost. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
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
      child.kill(signal);
    });
  }
}

/**
 * The nodes of a deployment's JetStream cluster ({@link NatsDeployment.setCluster}), one
 * nats-server each with its own config, ports and store; the same interface as one server
 * (start, stop, reload, url), plus the loss of one node and its return.
 */
export class NatsClusterProcess {
  readonly nodes: NatsServerProcess[];

  constructor(readonly deployment: NatsDeployment) {
    const cluster = deployment.settings.cluster;
    if (!cluster) throw new Error('the NATS deployment has no cluster');
    this.nodes = cluster.nodes.map((node) => new NatsServerProcess(deployment, node.name));
  }

  /** Every node's URL, comma-separated (NATS_URL). */
  get url(): string {
    return this.nodes.map((node) => node.url).join(',');
  }

  get namespace(): NatsNamespace {
    return new NatsNamespace(this.deployment.settings.namespace);
  }

  node(name: string): NatsServerProcess {
    const node = this.nodes.find((candidate) => candidate.node === name);
    if (!node) throw new Error(`No NATS cluster node "${name}"`);
    return node;
  }

  /** Starts every node that is not running, then waits until JetStream answers with all of them in the cluster. */
  async start(timeoutMs = 30_000): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.start(timeoutMs)));
    await this.waitUntilFormed(timeoutMs);
  }

  async reload(): Promise<void> {
    await Promise.all(this.nodes.filter((node) => node.running).map((node) => node.reload()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }

  /**
   * Waits until the JetStream API answers (a meta leader is elected) and a stream can be placed
   * with a copy on every node (they have all joined), trying it as the deployment's admin with
   * a small stream of its own, removed at once.
   */
  async waitUntilFormed(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const connection = await connect({ ...natsConnectionOptions({ NATS_URL: this.url, NATS_NKEY_SEED_FILE: this.deployment.seedFile('admin') }, 'admin'), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    try {
      for (let last = '';;) {
        try {
          await placeProbeStream(connection, this.nodes.length);
          return;
        } catch (error) {
          last = (error as Error).message;
        }
        if (Date.now() > deadline) throw new Error(`the NATS cluster did not form within ${timeoutMs} ms: ${last}`);
        await new Promise((resolveWait) => setTimeout(resolveWait, 200));
      }
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
}

/** Creates a memory stream with `replicas` copies and deletes it; fails while they cannot be placed. */
async function placeProbeStream(connection: NatsConnection, replicas: number): Promise<void> {
  const manager = await connection.jetstreamManager();
  const name = `CLUSTER_PROBE_${randomBytes(4).toString('hex')}`;
  await manager.streams.add({ name, subjects: [`cluster-probe.${name}`], storage: StorageType.Memory, num_replicas: replicas });
  await manager.streams.delete(name);
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

/**
 * A deployment whose cluster has `size` nodes on this machine (`n1`, `n2`, …: 127.0.0.1, client and
 * route ports that stay free across restarts, a store each under `directory`).
 */
export async function localClusterDeployment(directory: string, namespace: string, size: number): Promise<NatsDeployment> {
  const ports = new Set<number>();
  while (ports.size < size * 2) ports.add(await reservedRangePort());
  const [...free] = ports;
  const nodes = Array.from({ length: size }, (_, i) => ({
    name: `n${i + 1}`,
    address: '127.0.0.1',
    port: free[2 * i],
    clusterPort: free[2 * i + 1],
    storeDir: join(directory, `jetstream-n${i + 1}`),
  }));
  // The single server's settings are the first node's; only the nodes' configs are run.
  return NatsDeployment.open(directory, { host: '127.0.0.1', port: nodes[0].port, storeDir: nodes[0].storeDir, namespace, cluster: { name: 'exports-test', nodes } });
}
