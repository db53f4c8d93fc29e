import 'reflect-metadata';
import { AccountsRepository, CreatedAccount, openDatabase } from '@exports/database';
import { ConfigError, loadConfig } from '@exports/platform';
import { ProgressBar } from './progress-bar';
import { seedDemo } from './seed-demo';

const USAGE = `Usage: npm run seed -- [options]

Publishes demo data through the ingestion subjects (platform.contacts.*, platform.messages.*),
as the platform's services would; the running apps ingest it.

Options:
  --accounts <n>     Create n accounts (default 1 unless --account is given) and print their API keys.
  --account <uuid>   Seed an existing account (repeatable).
  --contacts <n>     Contacts per account (default 200).
  --messages <n>     Messages per account (default 2000), each with its delivery reports.
  --seed <n>         Seed of the generator: the same seed gives the same data (default 1).
  --help             Show this help.

Uses DATABASE_URL (DATABASE_MIGRATION_URL for migrations when set), NATS_URL and NATS_NAMESPACE like the apps.`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

interface Options {
  accounts: number;
  existing: string[];
  contacts: number;
  messages: number;
  seed: number;
}

function parseArgs(args: string[]): Options {
  const options: Options = { accounts: 0, existing: [], contacts: 200, messages: 2000, seed: 1 };
  const count = (name: string, value: string | undefined, max: number): number => {
    if (value === undefined || !/^\d+$/.test(value) || Number(value) > max) fail(`--${name} needs a whole number from 0 to ${max.toLocaleString('en-US')}`);
    return Number(value);
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, value] = [args[i], args[i + 1]];
    switch (flag) {
      case '--accounts':
        options.accounts = count('accounts', value, 1000);
        i++;
        break;
      case '--account':
        if (!value || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) fail('--account needs an account id (a UUID)');
        options.existing.push(value.toLowerCase());
        i++;
        break;
      case '--contacts':
        options.contacts = count('contacts', value, 10_000_000);
        i++;
        break;
      case '--messages':
        options.messages = count('messages', value, 10_000_000);
        i++;
        break;
      case '--seed':
        options.seed = count('seed', value, 2 ** 31);
        i++;
        break;
      default:
        fail(`Unknown option "${flag}"\n\n${USAGE}`);
    }
  }
  if (!options.accounts && !options.existing.length) options.accounts = 1;
  return options;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseArgs(args);
  const config = loadConfig();

  const created: CreatedAccount[] = [];
  const dataSource = await openDatabase(config.DATABASE_URL, 2, config.DATABASE_MIGRATION_URL);
  try {
    for (const accountId of options.existing) {
      const found: unknown[] = await dataSource.query('SELECT 1 FROM accounts WHERE id = $1', [accountId]);
      if (!found.length) fail(`No account ${accountId} in ${new URL(config.DATABASE_URL).pathname.slice(1)}`, 1);
    }
    const accounts = new AccountsRepository(dataSource);
    for (let i = 0; i < options.accounts; i++) created.push(await accounts.createAccount(`Demo account ${i + 1}`));
  } finally {
    await dataSource.destroy();
  }
  const accountIds = [...created.map((account) => account.accountId), ...options.existing];

  process.stderr.write(
    `Seeding ${accountIds.length} account(s) with ${options.contacts.toLocaleString('en-US')} contacts and ` +
      `${options.messages.toLocaleString('en-US')} messages each through NATS${config.NATS_NAMESPACE ? ` (namespace ${config.NATS_NAMESPACE})` : ''}\n`,
  );
  const bar = new ProgressBar('seed');
  const summary = await seedDemo({
    nats: config,
    namespace: config.NATS_NAMESPACE,
    accountIds,
    contacts: options.contacts,
    messages: options.messages,
    seed: options.seed,
    onProgress: (p) => bar.update(p.done, p.total, `${p.reports.toLocaleString('en-US')} reports`),
  });
  bar.finish();

  const lines = [
    `Published ${summary.contacts.toLocaleString('en-US')} contacts, ${summary.messages.toLocaleString('en-US')} messages and ${summary.reports.toLocaleString('en-US')} delivery reports.`,
  ];
  if (created.length) {
    lines.push('', 'API keys of the new accounts (shown once; keep them):');
    for (const account of created) lines.push(`  account ${account.accountId}   X-Api-Key: ${account.apiKey}`);
    const to = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const from = new Date(Date.now() - 30 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    lines.push(
      '',
      'Try:',
      `  curl -H 'X-Api-Key: ${created[0].apiKey}' 'http://127.0.0.1:${config.PORT}/messages/history?channel=SMS&from=${from}&to=${to}&limit=5'`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  fail(error instanceof ConfigError ? error.message : `seed: ${(error as Error)?.message ?? String(error)}`, 1);
});
