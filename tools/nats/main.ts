import 'reflect-metadata';
import { ALL_ACCOUNTS, CALLER_ROLES, inboxPrefixOf, NatsClusterSettings, NatsDeployment, natsPermissions, NatsRole } from '@exports/platform';
import { NatsNamespace } from '@exports/contracts';

const USAGE = `npm run nats -- <command> [options]

Writes the NATS server config and the credentials (nkey seeds) of a deployment into a directory.

  init --dir <dir> [--host 0.0.0.0] [--port 4222] [--store-dir <dir>] [--namespace <ns>]
       [--cluster-nodes <host,host,host> [--cluster-port 6222] [--cluster-name exports]]
        Creates the directory with an identity for each app (api-gateway, export-worker,
        history-service) and for the admin tools (admin), and nats-server.conf. Running it
        again keeps the identities it finds. Start the server with: nats-server -c <dir>/nats-server.conf
        With --cluster-nodes, also one config per node of a JetStream cluster,
        nats-server-<host>.conf: the same users, its server_name, and routes to the other
        nodes at <host>:<cluster-port>, authenticated with a password made once. Each node
        listens on --host:--port and keeps its store in --store-dir (a volume of its own).
  add --dir <dir> --name <name> --role reader|requester|publisher --accounts <id,id,...|*>
        An internal caller: a reader may request exports.get/list/estimate and history.browse,
        a requester also exports.create and exports.cancel, a publisher may publish platform.* events; each only
        for the listed accounts (* for all). Prints the seed file to hand to that service.
  add --dir <dir> --name <name> --role operator
        Every subject (break-glass, for an operator's own tools).
  remove --dir <dir> --name <name>
  list --dir <dir>
        Identities with their roles, accounts and permissions (public keys only).

After add or remove, reload a running server: nats-server --signal reload (or SIGHUP).
Each app reads its seed from NATS_NKEY_SEED_FILE=<dir>/<app>.nk.`;

type Options = Record<string, string>;

function parse(args: string[]): Options {
  const options: Options = {};
  for (let at = 0; at < args.length; at += 2) {
    const match = /^--([a-z-]+)$/.exec(args[at]);
    if (!match || args[at + 1] === undefined) throw new UsageError(`expected --option value, got "${args[at]}"`);
    options[match[1]] = args[at + 1];
  }
  return options;
}

class UsageError extends Error {}

function required(options: Options, name: string): string {
  const value = options[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

async function open(options: Options): Promise<NatsDeployment> {
  const dir = required(options, 'dir');
  const port = Number(options.port ?? 4222);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('--port must be a port number');
  const namespace = options.namespace ?? '';
  new NatsNamespace(namespace); // validates it
  return NatsDeployment.open(dir, { host: options.host ?? '0.0.0.0', port, storeDir: options['store-dir'] ?? `${dir}/jetstream`, namespace });
}

/**
 * The nodes of --cluster-nodes, checked before anything is written: each reached at its host
 * name, on the deployment's client port and --cluster-port, with the deployment's store directory.
 */
function clusterOf(options: Options): (deployment: NatsDeployment) => NatsClusterSettings {
  const clusterPort = Number(options['cluster-port'] ?? 6222);
  if (!Number.isInteger(clusterPort) || clusterPort < 1 || clusterPort > 65535) throw new UsageError('--cluster-port must be a port number');
  const hosts = options['cluster-nodes'].split(',').map((host) => host.trim());
  if (hosts.length < 2 || hosts.some((host) => !/^[A-Za-z0-9_-]+$/.test(host))) throw new UsageError('--cluster-nodes is a list of 2 or more host names (3 for JetStream to survive the loss of one)');
  const name = options['cluster-name'] ?? 'exports';
  return (deployment) => {
    const { port, storeDir } = deployment.settings;
    return { name, nodes: hosts.map((host) => ({ name: host, address: host, port, clusterPort, storeDir })) };
  };
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parse(rest);
  switch (command) {
    case 'init': {
      const cluster = options['cluster-nodes'] ? clusterOf(options) : undefined;
      const deployment = await open(options);
      if (cluster) await deployment.setCluster(cluster(deployment));
      const nodes = deployment.settings.cluster?.nodes ?? [];
      process.stdout.write(
        `${JSON.stringify({
          config: deployment.configFile,
          ...(nodes.length ? { nodeConfigs: nodes.map((node) => deployment.nodeConfigFile(node.name)), natsUrl: deployment.clusterUrls.join(',') } : {}),
          identities: deployment.identities.map((i) => ({ name: i.name, seedFile: deployment.seedFile(i.name) })),
        })}\n`,
      );
      return;
    }
    case 'add': {
      const role = required(options, 'role') as NatsRole;
      if (![...CALLER_ROLES, NatsRole.Operator].includes(role as (typeof CALLER_ROLES)[number])) throw new UsageError('--role must be reader, requester, publisher or operator');
      const accounts = role === NatsRole.Operator ? undefined : required(options, 'accounts').split(',').map((a) => a.trim());
      if (accounts?.includes(ALL_ACCOUNTS) && accounts.length > 1) throw new UsageError('--accounts is either * or a list of account ids');
      const deployment = await open(options);
      const identity = await deployment.add(required(options, 'name'), role, accounts);
      process.stdout.write(`${JSON.stringify({ name: identity.name, role: identity.role, accounts: identity.accounts, seedFile: deployment.seedFile(identity.name), inboxPrefix: inboxPrefixOf(identity.name) })}\n`);
      return;
    }
    case 'remove': {
      const deployment = await open(options);
      await deployment.remove(required(options, 'name'));
      process.stdout.write(`${JSON.stringify({ removed: options.name })}\n`);
      return;
    }
    case 'list': {
      const deployment = await open(options);
      const namespace = new NatsNamespace(deployment.settings.namespace);
      for (const identity of deployment.identities) process.stdout.write(`${JSON.stringify({ ...identity, permissions: natsPermissions(identity, namespace) })}\n`);
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`nats: ${(error as Error).message}\n${error instanceof UsageError ? `\n${USAGE}\n` : ''}`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
