import { DataSource } from 'typeorm';
import { JSONCodec } from 'nats';
import { accountSubject, ApiKeysRevokedEvent, ExportStatus, REVOKED_KEYS_PER_EVENT, Subjects } from '@exports/contracts';
import { AccountsRepository, AdminRepository, ExportEntity, exportFilesOf, ExportsMaintenanceRepository, ExportsRepository, toExportResource } from '@exports/database';
import { effectiveStatus, ExportEvent } from '@exports/export-status';
import { AppConfig, DeadLetter, DeadLetters, JetStream } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';
import { Command, failure, flagOption, OptionSpec, usageError, uuidOption } from './cli';

/** What a command works with; connections are opened on first use and closed by the caller. */
export interface AdminContext {
  readonly config: AppConfig;
  database(): Promise<DataSource>;
  /** Creates the database if missing and runs the migrations, as DATABASE_MIGRATION_URL (else DATABASE_URL); the migrations run. */
  migrate(): Promise<{ database: string; applied: string[] }>;
  storage(): ObjectStorage;
  /** JetStream in the namespace of the config (NATS_URL, NATS_NAMESPACE). */
  jetStream(): Promise<JetStream>;
  /** One JSON line on stdout. */
  print(value: unknown): void;
  /** A note for the operator, on stderr. */
  note(message: string): void;
}

type AdminCommand = Command<AdminContext>;

const accountCreate: AdminCommand = {
  name: 'account:create',
  summary: 'Create an account and its first API key.',
  options: {
    name: {
      value: '<name>',
      description: 'Name of the account (1-200 characters).',
      check: (value) => (value.trim().length >= 1 && value.trim().length <= 200 ? undefined : 'must be 1-200 characters'),
    },
  },
  output: 'one JSON line {"accountId","apiKey"}; the key is shown this once.',
  async run(context, options) {
    context.print(await new AccountsRepository(await context.database()).createAccount(options.name.trim()));
  },
};

const accountList: AdminCommand = {
  name: 'account:list',
  summary: 'List the accounts, oldest first.',
  options: {},
  output: 'one JSON line per account {"id","name","createdAt","activeKeys"}.',
  async run(context) {
    for (const account of await new AdminRepository(await context.database()).listAccounts()) context.print(account);
  },
};

const keyCreate: AdminCommand = {
  name: 'key:create',
  summary: 'Create another API key for an account.',
  options: { account: uuidOption('The account.') },
  output: 'one JSON line {"accountId","apiKey"}; the key is shown this once.',
  async run(context, options) {
    const dataSource = await context.database();
    await requireAccount(dataSource, options.account);
    const apiKey = await new AccountsRepository(dataSource).createApiKey(options.account);
    context.print({ accountId: options.account, apiKey });
  },
};

const keyList: AdminCommand = {
  name: 'key:list',
  summary: "List an account's API keys, revoked ones included (never the key or its hash).",
  options: { account: uuidOption('The account.') },
  output: 'one JSON line per key {"id","accountId","prefix","createdAt","revokedAt"}.',
  async run(context, options) {
    const dataSource = await context.database();
    await requireAccount(dataSource, options.account);
    for (const key of await new AdminRepository(dataSource).listApiKeys(options.account)) context.print(key);
  },
};

const keyRevoke: AdminCommand = {
  name: 'key:revoke',
  summary: 'Revoke an API key: requests with it get 401 from then on. Revoking it again changes nothing.',
  options: { 'key-id': uuidOption('The key, as "id" in key:list.') },
  output: 'one JSON line with the key {"id","accountId","prefix","createdAt","revokedAt"}.',
  async run(context, options) {
    const result = await new AdminRepository(await context.database()).revokeApiKey(options['key-id']);
    if (!result) throw failure(`No API key ${options['key-id']}`);
    if (!result.revoked) context.note(`Key ${result.key.id} was already revoked`);
    context.print(result.key);
    // Told again when already revoked: running the command again repairs an announcement that failed.
    await announceRevokedKeys(context, result.key.accountId, [result.key.id]);
  },
};

const exportShow: AdminCommand = {
  name: 'export:show',
  summary: 'Show an export of any account, with its status as it reads now.',
  options: { export: uuidOption('The export.') },
  output: 'one JSON line: the export resource plus accountId, run, attempts, objectKey (the first file), objectKeys (every file) and the bookkeeping times.',
  async run(context, options) {
    context.print(exportView(await requireExport(await context.database(), options.export)));
  },
};

/** Why a state is not retried, when the state alone does not say it. */
const RETRY_REFUSALS: Partial<Record<ExportStatus, string>> = {
  [ExportStatus.Pending]: ' (it is still running)',
  // The account stopped it: only the account runs it again (POST /exports/{exportId}).
  [ExportStatus.Cancelled]: ' (its account cancelled it; the account can run it again with POST /exports/{exportId})',
};

const exportRetry: AdminCommand = {
  name: 'export:retry',
  summary:
    'Run a FAILED export again with the same filters (it becomes PENDING in a new run); refuses any other status, and an account at its cap of unfinished exports.',
  options: { export: uuidOption('The export.') },
  output: 'one JSON line: the export after the move, as export:show prints it.',
  async run(context, options) {
    const dataSource = await context.database();
    const record = await requireExport(dataSource, options.export);
    const status = effectiveStatus(record, new Date());
    if (status !== ExportStatus.Failed) {
      throw failure(`Export ${record.id} is ${status}: only a FAILED export can be retried${RETRY_REFUSALS[status] ?? ''}`);
    }
    // The new run goes to the outbox in the same statement; the running apps publish it.
    const cap = context.config.EXPORT_MAX_OPEN_PER_ACCOUNT;
    const result = await new ExportsRepository(dataSource).rerun(record.accountId, record.id, ExportEvent.Retry, cap);
    if (result.kind === 'capped') {
      throw failure(`Account ${record.accountId} already has ${result.open} unfinished exports (limit ${cap}, EXPORT_MAX_OPEN_PER_ACCOUNT); retry once one has finished`);
    }
    if (result.kind === 'unchanged') throw failure(`Export ${record.id} changed while it was retried; look at it again with export:show`);
    context.print(exportView(await requireExport(dataSource, record.id)));
  },
};

const filesPurgeExpired: AdminCommand = {
  name: 'files:purge-expired',
  summary: 'Remove now the files whose retention has passed (what the sweeper does on its timer).',
  options: {},
  output: 'one JSON line {"purged"}: how many exports had their file removed.',
  async run(context) {
    const maintenance = new ExportsMaintenanceRepository(await context.database());
    let purged = 0;
    for (;;) {
      // Each row is marked purged before its recorded objects are deleted, so every batch is new.
      const batch = await maintenance.claimPurges();
      if (batch.length === 0) break;
      for (const candidate of batch) {
        try {
          for (const key of candidate.objectKeys) await context.storage().remove(key);
        } catch (error) {
          await maintenance.releasePurge(candidate).catch(() => undefined);
          throw failure(`Could not purge the file of export ${candidate.id} after ${purged} purged: ${(error as Error).message}`);
        }
        purged += 1;
      }
    }
    context.print({ purged });
  },
};

const dbMigrate: AdminCommand = {
  name: 'db:migrate',
  summary: 'Create the database if missing and run the migrations, as the owner (DATABASE_MIGRATION_URL, else DATABASE_URL).',
  options: {},
  output: 'one JSON line {"database","applied"}: the migrations it ran (none when the schema is up to date).',
  async run(context) {
    context.print(await context.migrate());
  },
};

const countOption = (description: string, max: number, optional = false): OptionSpec => ({
  value: '<n>',
  description,
  optional,
  check: (value) => (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= max ? undefined : `must be a whole number from 1 to ${max}`),
});

const deadLettersList: AdminCommand = {
  name: 'dead-letters:list',
  summary: 'List the ingested events parked on the DEAD_LETTERS stream, oldest first, with why each was refused.',
  options: { limit: countOption('At most this many (default 100).', 1_000_000, true) },
  output: 'one JSON line per dead letter {"seq","subject","reason","consumer","at","size"}.',
  async run(context, options) {
    const letters = await new DeadLetters(await context.jetStream()).list(Number(options.limit ?? 100));
    for (const letter of letters) {
      const { seq, subject, reason, consumer, at, body } = letter;
      context.print({ seq, subject, reason, consumer, at, size: body.length });
    }
  },
};

const deadLettersReplay: AdminCommand = {
  name: 'dead-letters:replay',
  summary:
    'Publish dead letters again, unchanged, on their original subject (once the cause is fixed), then remove them from DEAD_LETTERS. An event that fails again is parked again.',
  options: {
    seq: countOption('The dead letter, as "seq" in dead-letters:list.', Number.MAX_SAFE_INTEGER, true),
    all: flagOption('Every dead letter stored now.'),
  },
  output: 'one JSON line per dead letter replayed {"seq","subject","consumer","replayedSeq","duplicate"}; replayedSeq is its new sequence in the PLATFORM stream.',
  async run(context, options) {
    if (Boolean(options.seq) === Boolean(options.all)) throw usageError(`${this.name}: give either --seq <n> or --all`);
    const deadLetters = new DeadLetters(await context.jetStream());
    const replay = async (letter: DeadLetter) => {
      const { replayedSeq, duplicate } = await deadLetters.replay(letter);
      context.print({ seq: letter.seq, subject: letter.subject, consumer: letter.consumer, replayedSeq, duplicate });
    };
    if (options.seq) {
      const letter = await deadLetters.get(Number(options.seq));
      if (!letter) throw failure(`No dead letter ${options.seq}`);
      return replay(letter);
    }
    let replayed = 0;
    for await (const letter of deadLetters.each()) {
      await replay(letter);
      replayed += 1;
    }
    context.note(`${replayed} dead letter(s) replayed`);
  },
};



const accountPurge: AdminCommand = {
  name: 'account:purge',
  summary:
    "Remove an account and everything kept for it: its exports' files (every object under <accountId>/), its exports and their download records, contacts, messages, delivery reports and API keys, and the account. Cannot be undone.",
  options: { account: uuidOption('The account.') },
  output: 'one JSON line {"accountId","objects","exports","downloads","contacts","messages","deliveryReports","apiKeys"}: what was removed.',
  async run(context, options) {
    const dataSource = await context.database();
    await requireAccount(dataSource, options.account);
    const prefix = `${options.account}/`;
    // Files first: if storage fails, the rows that lead to them are still there and the command can be run again.
    const before = await discardFiles(context.storage(), prefix);
    const removed = await new AdminRepository(dataSource).purgeAccount(options.account);
    // A run in progress may have stored its file meanwhile; with its row gone, nothing else would remove it.
    const after = await discardFiles(context.storage(), prefix);
    context.print({
      accountId: options.account,
      objects: before + after,
      exports: removed.exports,
      downloads: removed.downloads,
      contacts: removed.contacts,
      messages: removed.messages,
      deliveryReports: removed.deliveryReports,
      apiKeys: removed.apiKeys,
    });
    await announceRevokedKeys(context, options.account, removed.apiKeyIds);
  },
};


/** Every command, in the order help lists them. */
export const COMMANDS: AdminCommand[] = [
  dbMigrate,
  accountCreate,
  accountList,
  accountPurge,
  keyCreate,
  keyList,
  keyRevoke,
  exportShow,
  exportRetry,
  filesPurgeExpired,
  deadLettersList,
  deadLettersReplay,
];

/**
 * Tells every gateway instance, over NATS, that these keys no longer authenticate, so none keeps
 * accepting them from its key cache. Called once the change is committed.
 */
async function announceRevokedKeys(context: AdminContext, accountId: string, keyIds: string[]): Promise<void> {
  if (keyIds.length === 0) return;
  try {
    const { connection, namespace } = await context.jetStream();
    const codec = JSONCodec<ApiKeysRevokedEvent>();
    const subject = namespace.subject(accountSubject(Subjects.auth.apiKeysRevoked, accountId));
    for (let start = 0; start < keyIds.length; start += REVOKED_KEYS_PER_EVENT) {
      connection.publish(subject, codec.encode({ accountId, keyIds: keyIds.slice(start, start + REVOKED_KEYS_PER_EVENT) }));
    }
    await connection.flush();
  } catch (error) {
    throw failure(
      `The database change is committed, but the gateways could not be told over NATS (${(error as Error).message}): ` +
        'they refuse the key(s) within API_KEY_CACHE_TTL_MS at the latest (key:revoke can be run again to tell them now)',
    );
  }
}

async function discardFiles(storage: ObjectStorage, prefix: string): Promise<number> {
  try {
    return (await storage.discard(prefix)).objects;
  } catch (error) {
    throw failure(`Could not remove the files under ${prefix}: ${(error as Error).message}`);
  }
}

async function requireAccount(dataSource: DataSource, accountId: string): Promise<void> {
  if (!(await new AdminRepository(dataSource).accountExists(accountId))) throw failure(`No account ${accountId}`);
}

async function requireExport(dataSource: DataSource, exportId: string): Promise<ExportEntity> {
  const record = await new AdminRepository(dataSource).findExport(exportId);
  if (!record) throw failure(`No export ${exportId}`);
  return record;
}

/** What customers see (status as it reads now), plus what an operator needs to follow the runs. */
function exportView(record: ExportEntity): Record<string, unknown> {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    ...toExportResource(record, new Date()),
    accountId: record.accountId,
    run: record.run,
    attempts: record.attempts,
    objectKey: record.objectKey,
    objectKeys: exportFilesOf(record).map((file) => file.objectKey),
    timezone: record.timezone,
    updatedAt: iso(record.updatedAt),
    heartbeatAt: iso(record.heartbeatAt),
    filePurgedAt: iso(record.filePurgedAt),
  };
}
