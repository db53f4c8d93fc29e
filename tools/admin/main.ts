import 'reflect-metadata';
import { AccountsRepository, openDatabase } from '@exports/database';
import { ConfigError, loadConfig } from '@exports/platform';

const USAGE = `Usage: npm run admin -- <command> [options]

Commands:
  account:create --name <name>   Create an account and its first API key.
                                 Prints one JSON line: {"accountId":"...","apiKey":"..."}
  key:create --account <id>      Create another API key for an account; prints {"accountId","apiKey"}.
  help                           Show this help.`;

/** Values of `--flag value` pairs. */
function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? undefined : args[at + 1];
}

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (!command || command === 'help' || command === '--help' || args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig();
  if (command === 'account:create') {
    const name = option(args, 'name')?.trim();
    if (!name || name.startsWith('--') || name.length > 200) fail('account:create needs --name <name> (1-200 characters)');
    const dataSource = await openDatabase(config.DATABASE_URL, 2);
    try {
      const created = await new AccountsRepository(dataSource).createAccount(name);
      process.stdout.write(`${JSON.stringify(created)}\n`);
    } finally {
      await dataSource.destroy();
    }
    return;
  }
  if (command === 'key:create') {
    const accountId = option(args, 'account');
    if (!accountId || !/^[0-9a-f-]{36}$/i.test(accountId)) fail('key:create needs --account <accountId> (a UUID)');
    const dataSource = await openDatabase(config.DATABASE_URL, 2);
    try {
      const found: unknown[] = await dataSource.query('SELECT 1 FROM accounts WHERE id = $1', [accountId]);
      if (!found.length) fail(`No account ${accountId}`, 1);
      const apiKey = await new AccountsRepository(dataSource).createApiKey(accountId);
      process.stdout.write(`${JSON.stringify({ accountId, apiKey })}\n`);
    } finally {
      await dataSource.destroy();
    }
    return;
  }
  fail(`Unknown command "${command}"\n\n${USAGE}`);
}

main().catch((error: unknown) => {
  fail(error instanceof ConfigError ? error.message : `admin: ${(error as Error).message ?? String(error)}`, 1);
});
