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
}

interface DeploymentFile extends NatsDeploymentSettings {
  identities: NatsIdentity[];
}

const STATE_FILE = 'identities.json';
const CONFIG_FILE = 'nats-server.conf';

/**
 * The NATS identities of one deployment, kept in a directory: `identities.json` (names, roles,
 * accounts, public keys), one seed file per identity (`<name>.nk`, mode 0600, handed to that
 * identity only) and the `nats-server.conf` made from them. Opening a new directory creates the
 * identities of the three apps and of the admin tools.
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
      state = { ...settings, identities: [] };
    }
    const deployment = new NatsDeployment(dir, state);
    for (const role of [...APP_ROLES, NatsRole.Admin]) {
      if (!deployment.identity(role)) await deployment.add(role, role);
    }
    await deployment.write();
    return deployment;
  }

  get settings(): NatsDeploymentSettings {
    const { host, port, storeDir, namespace } = this.state;
    return { host, port, storeDir, namespace };
  }

  get configFile(): string {
    return join(this.directory, CONFIG_FILE);
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
    await writeFile(join(this.directory, STATE_FILE), `${JSON.stringify(this.state, null, 2)}\n`);
    await writeFile(this.configFile, natsServerConfig({ ...this.state, namespace: new NatsNamespace(this.state.namespace) }));
  }
}
