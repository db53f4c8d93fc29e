import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { nkeys } from 'nats';
import { NatsNamespace } from '@exports/contracts';
import { ALL_ACCOUNTS, APP_ROLES, NatsIdentity, natsPermissions, NatsRole, natsServerConfig } from './nats-auth';

export interface NatsDeploymentSettings {
  /** Where the server listens (`0.0.0.0` in a container). */
  host: string;
  port: number;
  /** JetStream's store directory, as the server sees it. */
  storeDir: string;
  /** NATS_NAMESPACE of the apps (empty in production). */
  namespace: string;
  /** A JetStream cluster: one config per node ({@link NatsDeployment.nodeConfigFile}), beside the single server's. */
  cluster?: NatsClusterSettings;
}

export interface NatsClusterSettings {
  /** The cluster's name, the same on every node. */
  name: string;
  nodes: NatsClusterNode[];
}

/** One server of a cluster. It listens on the deployment's `host`, on ports of its own. */
export interface NatsClusterNode {
  /** Its `server_name` (unique in the cluster); its config is `nats-server-<name>.conf`. */
  name: string;
  /** Where clients and the other nodes reach it: a host name in a container network, 127.0.0.1 on one machine. */
  address: string;
  /** Clients' port. */
  port: number;
  /** Routes' port (the other nodes connect there). */
  clusterPort: number;
  /** Its own JetStream store directory, as the server sees it. */
  storeDir: string;
}

interface DeploymentFile extends Omit<NatsDeploymentSettings, 'cluster'> {
  identities: NatsIdentity[];
  /** The route password is made once, kept here and written into every node's config. */
  cluster?: NatsClusterSettings & { routePassword?: string };
}

const STATE_FILE = 'identities.json';
const CONFIG_FILE = 'nats-server.conf';
const NODE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** The user every route of a cluster authenticates as. */
const ROUTE_USER = 'route';

/**
 * The NATS identities of one deployment, kept in a directory: `identities.json` (names, roles,
 * accounts, public keys), one seed file per identity (`<name>.nk`, mode 0600, handed to that
 * identity only) and the `nats-server.conf` made from them. Opening a new directory creates the
 * identities of the three apps and of the admin tools. With a cluster, each node also gets a config
 * of its own (`nats-server-<node>.conf`: the same users and permissions, its `server_name`, store
 * and ports, and authenticated routes to the other nodes).
 */
export class NatsDeployment {
  private constructor(
    readonly directory: string,
    private state: DeploymentFile,
  ) {}

  static async open(directory: string, settings: NatsDeploymentSettings): Promise<NatsDeployment> {
    const dir = resolve(directory);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let state: DeploymentFile;
    try {
      state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as DeploymentFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      state = { ...settings, cluster: undefined, identities: [] };
    }
    const deployment = new NatsDeployment(dir, state);
    if (settings.cluster && !state.cluster) deployment.applyCluster(settings.cluster);
    for (const role of [...APP_ROLES, NatsRole.Admin]) {
      if (!deployment.identity(role)) await deployment.add(role, role);
    }
    await deployment.write();
    return deployment;
  }

  get settings(): NatsDeploymentSettings {
    const { host, port, storeDir, namespace } = this.state;
    if (!this.state.cluster) return { host, port, storeDir, namespace };
    const { name, nodes } = this.state.cluster;
    return { host, port, storeDir, namespace, cluster: { name, nodes: nodes.map((node) => ({ ...node })) } };
  }

  get configFile(): string {
    return join(this.directory, CONFIG_FILE);
  }

  /** The config of one node of the cluster. */
  nodeConfigFile(node: string): string {
    if (!this.clusterNode(node)) throw new Error(`No NATS cluster node "${node}"`);
    return join(this.directory, `nats-server-${node}.conf`);
  }

  clusterNode(name: string): NatsClusterNode | undefined {
    return this.state.cluster?.nodes.find((node) => node.name === name);
  }

  /** The clients' URLs of every node (for NATS_URL, comma-separated); empty without a cluster. */
  get clusterUrls(): string[] {
    return (this.state.cluster?.nodes ?? []).map((node) => `nats://${node.address}:${node.port}`);
  }

  /**
   * Makes the deployment a cluster of these nodes (or changes them) and writes every node's
   * config. The route password of an existing cluster is kept.
   */
  async setCluster(cluster: NatsClusterSettings): Promise<void> {
    this.applyCluster(cluster);
    await this.write();
  }

  private applyCluster(cluster: NatsClusterSettings): void {
    if (!NODE_NAME.test(cluster.name)) throw new Error(`NATS cluster name "${cluster.name}" may only hold letters, digits, "_" and "-"`);
    if (cluster.nodes.length < 2) throw new Error('A NATS cluster needs at least 2 nodes (3 for JetStream to survive the loss of one)');
    const names = new Set<string>();
    for (const node of cluster.nodes) {
      if (!NODE_NAME.test(node.name)) throw new Error(`NATS node name "${node.name}" may only hold letters, digits, "_" and "-"`);
      if (names.has(node.name)) throw new Error(`NATS node name "${node.name}" is used twice`);
      names.add(node.name);
      for (const port of [node.port, node.clusterPort]) {
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`NATS node "${node.name}": ${port} is not a port number`);
      }
    }
    const routePassword = this.state.cluster?.routePassword ?? randomBytes(24).toString('hex');
    this.state.cluster = { name: cluster.name, nodes: cluster.nodes.map((node) => ({ ...node })), routePassword };
  }

  get identities(): readonly NatsIdentity[] {
    return this.state.identities;
  }

  identity(name: string): NatsIdentity | undefined {
    return this.state.identities.find((identity) => identity.name === name);
  }

  seedFile(name: string): string {
    return join(this.directory, `${name}.nk`);
  }

  /**
   * Adds an identity (a new key pair; its seed goes to `<name>.nk`) and rewrites the server config.
   * A running server takes it on reload (`nats-server --signal reload`, or SIGHUP).
   */
  async add(name: string, role: NatsRole, accounts?: string[]): Promise<NatsIdentity> {
    if (this.identity(name)) throw new Error(`NATS identity "${name}" exists already`);
    const candidate = { name, role, accounts: accounts?.map((a) => (a === ALL_ACCOUNTS ? a : a.toLowerCase())) };
    natsPermissions(candidate, new NatsNamespace(this.state.namespace)); // validates name, role and accounts
    const pair = nkeys.createUser();
    const seedFile = this.seedFile(name);
    await writeFile(seedFile, `${new TextDecoder().decode(pair.getSeed())}\n`, { mode: 0o600 });
    await chmod(seedFile, 0o600);
    const identity: NatsIdentity = { ...candidate, publicKey: pair.getPublicKey() };
    if (!identity.accounts) delete identity.accounts;
    this.state.identities.push(identity);
    await this.write();
    return identity;
  }

  /** Removes an identity: after a reload the server refuses it. Its seed file is deleted by the operator. */
  async remove(name: string): Promise<void> {
    if (!this.identity(name)) throw new Error(`No NATS identity "${name}"`);
    this.state.identities = this.state.identities.filter((identity) => identity.name !== name);
    await this.write();
  }

  private async write(): Promise<void> {
    const { cluster, ...single } = this.state;
    const namespace = new NatsNamespace(this.state.namespace);
    // Readable by its owner only: a cluster's route password is kept in it.
    await writeFile(join(this.directory, STATE_FILE), `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 });
    await chmod(join(this.directory, STATE_FILE), 0o600);
    await writeFile(this.configFile, natsServerConfig({ ...single, namespace }));
    for (const node of cluster?.nodes ?? []) {
      const routes = cluster!.nodes.filter((other) => other !== node).map((other) => `${other.address}:${other.clusterPort}`);
      const config = natsServerConfig({
        ...single,
        namespace,
        port: node.port,
        storeDir: node.storeDir,
        serverName: node.name,
        cluster: { name: cluster!.name, host: single.host, port: node.clusterPort, routes, user: ROUTE_USER, password: cluster!.routePassword! },
      });
      // It holds the route password: readable by its owner only, like the seeds.
      await writeFile(this.nodeConfigFile(node.name), config, { mode: 0o600 });
      await chmod(this.nodeConfigFile(node.name), 0o600);
    }
  }
}
