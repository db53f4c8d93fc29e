import { anyAccount, accountSubject, NatsNamespace, Subjects } from '@exports/contracts';
import { inboxPrefixOf } from './nats-connection';

/**
 * Who may connect to the bus and what each may do. The three apps and the admin tools each have
 * an identity of their own; internal callers get one per service, scoped to chosen accounts.
 */
export enum NatsRole {
  ApiGateway = 'api-gateway',
  ExportWorker = 'export-worker',
  HistoryService = 'history-service',
  /** The admin CLI and the seed tool: stream management, dead-letter replay, publishing platform events and key revocations. */
  Admin = 'admin',
  /** An internal service that reads exports and history: `exports.get`, `exports.list`, `exports.estimate`, `history.browse`. */
  Reader = 'reader',
  /** A reader that may also request and cancel exports (`exports.create`, `exports.cancel`). */
  Requester = 'requester',
  /** A platform service that publishes ingestion events (`platform.*`). */
  Publisher = 'publisher',
  /** Every subject: break-glass access for an operator's own tools (and the tests). Never given to a service. */
  Operator = 'operator',
}

export const APP_ROLES = [NatsRole.ApiGateway, NatsRole.ExportWorker, NatsRole.HistoryService] as const;
export const CALLER_ROLES = [NatsRole.Reader, NatsRole.Requester, NatsRole.Publisher] as const;

/** "All accounts" in an identity's account list. */
export const ALL_ACCOUNTS = '*';

export interface NatsIdentity {
  /** Letters, digits, "_" and "-": also the identity's inbox prefix (`_INBOX_<name>`). */
  name: string;
  role: NatsRole;
  /** The nkey public key (`U...`) the identity proves it holds the seed of. */
  publicKey: string;
  /** Caller roles: the accounts it may act for (account ids, or `*` for all). */
  accounts?: string[];
}

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /** May answer the requests it receives (publish to their reply subjects only). */
  allowResponses: boolean;
}

const IDENTITY_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const ACCOUNT = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\*)$/i;

/** JetStream's API and acks: streams, consumers, pulls and acks of the apps' own durable consumers. */
const JETSTREAM = ['$JS.API.>', '$JS.ACK.>'];

/**
 * What an identity may publish and subscribe to, least privilege: the gateway cannot publish
 * `platform.*`, a publisher can publish only `platform.*` (for its accounts), a reader can request
 * only the read subjects (for its accounts), and each subscribes only to its own inboxes.
 */
export function natsPermissions(identity: Omit<NatsIdentity, 'publicKey'>, namespace: NatsNamespace): NatsPermissions {
  assertIdentity(identity);
  const ns = (subject: string) => namespace.subject(subject);
  const inbox = `${inboxPrefixOf(identity.name)}.>`;
  const outbox = [ns('exports.requested.>'), ns('exports.events.>')];
  const deadLetters = ns('dead-letter.>');
  const forAccounts = (subject: string) => (identity.accounts ?? []).map((account) => ns(account === ALL_ACCOUNTS ? anyAccount(subject) : accountSubject(subject, account)));
  const { requests, platform, auth, exportRunCancelled } = Subjects;
  // Every worker instance hears every cancel of a run (core NATS), the gateway says them.
  const runCancels = ns(anyAccount(exportRunCancelled));
  switch (identity.role) {
    case NatsRole.ApiGateway:
      return {
        publish: [...JETSTREAM, ...outbox, ns(anyAccount(requests.historyBrowse)), runCancels],
        subscribe: [inbox, ...[requests.exportsCreate, requests.exportsGet, requests.exportsList, requests.exportsEstimate, requests.exportsCancel, requests.exportsDownloads, auth.apiKeysRevoked].map((s) => ns(anyAccount(s)))],
        allowResponses: true,
      };
    case NatsRole.ExportWorker:
      // Also the webhook delivery jobs it makes of export events, and consumes itself.
      return { publish: [...JETSTREAM, ...outbox, deadLetters, ns(`${Subjects.webhookDeliveries}.>`)], subscribe: [inbox, runCancels], allowResponses: false };
    case NatsRole.HistoryService:
      return { publish: [...JETSTREAM, ...outbox, deadLetters], subscribe: [inbox, ns(anyAccount(requests.historyBrowse)), runCancels], allowResponses: true };
    case NatsRole.Admin:
      return { publish: [...JETSTREAM, ns('platform.>'), deadLetters, ns(anyAccount(auth.apiKeysRevoked))], subscribe: [inbox], allowResponses: false };
    case NatsRole.Reader:
      return { publish: [requests.exportsGet, requests.exportsList, requests.exportsEstimate, requests.exportsDownloads, requests.historyBrowse].flatMap(forAccounts), subscribe: [inbox], allowResponses: false };
    case NatsRole.Requester:
      return {
        publish: [requests.exportsCreate, requests.exportsGet, requests.exportsList, requests.exportsEstimate, requests.exportsDownloads, requests.exportsCancel, requests.historyBrowse].flatMap(forAccounts),
        subscribe: [inbox],
        allowResponses: false,
      };
    case NatsRole.Operator:
      return { publish: ['>'], subscribe: ['>'], allowResponses: true };
    case NatsRole.Publisher:
      return {
        publish: [platform.contactsUpserted, platform.contactsDeleted, platform.messagesRecorded, platform.messagesStatus].flatMap(forAccounts),
        subscribe: [inbox],
        allowResponses: false,
      };
  }
}

export interface NatsServerOptions {
  host: string;
  port: number;
  /** JetStream's store directory. */
  storeDir: string;
  identities: NatsIdentity[];
  namespace: NatsNamespace;
  /** Server-side TLS (paths as the server sees them); clients then connect with tls://. */
  tls?: { certFile: string; keyFile: string; caFile?: string };
  /** Largest message the server accepts, bytes (default 1 MiB, the server's own default). */
  maxPayload?: number;
  /** This server's name; each node of a JetStream cluster needs its own. */
  serverName?: string;
  /** Clustering: this node's route port and the routes to the other nodes. */
  cluster?: NatsClusterBlock;
}

/** The `cluster` block of one node of a cluster. */
export interface NatsClusterBlock {
  /** The cluster's name, the same on every node. */
  name: string;
  /** Where this node accepts routes from the others. */
  host: string;
  port: number;
  /** The other nodes' route addresses (`host:port`). */
  routes: string[];
  /** Routes authenticate: a node accepts, and connects with, only this user and password. */
  user: string;
  password: string;
}

/**
 * The nats-server configuration of a deployment: JetStream on, every connection authenticated by
 * nkey, and each identity limited to the subjects of its role. Holds public keys only: the seeds
 * stay with the identities.
 */
export function natsServerConfig(options: NatsServerOptions): string {
  const users = options.identities.map((identity) => {
    const permissions = natsPermissions(identity, options.namespace);
    const list = (subjects: string[]) => `[${subjects.map((s) => JSON.stringify(s)).join(', ')}]`;
    return [
      `    # ${identity.name} (${identity.role}${identity.accounts ? `; accounts: ${identity.accounts.join(', ')}` : ''})`,
      `    {`,
      `      nkey: ${JSON.stringify(identity.publicKey)}`,
      `      permissions: {`,
      `        publish: { allow: ${list(permissions.publish)} }`,
      `        subscribe: { allow: ${list(permissions.subscribe)} }`,
      ...(permissions.allowResponses ? [`        allow_responses: true`] : []),
      `      }`,
      `    }`,
    ].join('\n');
  });
  const tls = options.tls
    ? [
        'tls {',
        `  cert_file: ${JSON.stringify(options.tls.certFile)}`,
        `  key_file: ${JSON.stringify(options.tls.keyFile)}`,
        ...(options.tls.caFile ? [`  ca_file: ${JSON.stringify(options.tls.caFile)}`, '  verify: true'] : []),
        '}',
      ]
    : [];
  return [
    '# Written by `npm run nats`; edit the identities there, not here.',
    ...(options.serverName ? [`server_name: ${JSON.stringify(options.serverName)}`] : []),
    `listen: ${JSON.stringify(`${options.host}:${options.port}`)}`,
    `max_payload: ${options.maxPayload ?? 1024 * 1024}`,
    `jetstream { store_dir: ${JSON.stringify(options.storeDir)} }`,
    ...(options.cluster ? clusterBlock(options.cluster) : []),
    ...tls,
    'authorization {',
    '  users = [',
    users.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

/** Routes carry the route user's credentials; no other server can join the cluster (and bypass the users' permissions). */
function clusterBlock(cluster: NatsClusterBlock): string[] {
  const credentials = `${encodeURIComponent(cluster.user)}:${encodeURIComponent(cluster.password)}`;
  return [
    'cluster {',
    `  name: ${JSON.stringify(cluster.name)}`,
    `  listen: ${JSON.stringify(`${cluster.host}:${cluster.port}`)}`,
    `  authorization { user: ${JSON.stringify(cluster.user)}, password: ${JSON.stringify(cluster.password)} }`,
    '  routes: [',
    ...cluster.routes.map((route) => `    ${JSON.stringify(`nats-route://${credentials}@${route}`)}`),
    '  ]',
    '}',
  ];
}

function assertIdentity(identity: Omit<NatsIdentity, 'publicKey'>): void {
  if (!IDENTITY_NAME.test(identity.name)) throw new Error(`NATS identity name "${identity.name}" may only hold letters, digits, "_" and "-"`);
  const isCaller = (CALLER_ROLES as readonly NatsRole[]).includes(identity.role);
  if (isCaller && !identity.accounts?.length) throw new Error(`NATS identity "${identity.name}" (${identity.role}) needs the accounts it may act for`);
  for (const account of identity.accounts ?? []) {
    if (!ACCOUNT.test(account)) throw new Error(`NATS identity "${identity.name}": "${account}" is not an account id (or * for all accounts)`);
  }
}
