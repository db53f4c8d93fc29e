import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { NatsDeployment, natsConnectionOptions } from '@exports/platform';
import { freePort, natsServerBinary, NatsServerProcess } from '@exports/testing';

/** `npm run nats` as an operator runs it, and a real nats-server started from what it writes. */
describe('nats CLI (int)', () => {
  const ENTRY = resolve(__dirname, '../../dist/tools/nats/main.js');
  const ACCOUNT = randomUUID();
  let dir: string;
  let server: NatsServerProcess | undefined;
  const connections: NatsConnection[] = [];

  function nats(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      execFile(process.execPath, [ENTRY, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      });
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nats-cli-'));
  });

  afterAll(async () => {
    for (const connection of connections) await connection.close().catch(() => undefined);
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('init writes one identity per app and the admin, seeds readable by their owner only, and keeps them on a second run', async () => {
    const port = await freePort();
    const first = await nats('init', '--dir', dir, '--host', '127.0.0.1', '--port', String(port), '--store-dir', join(dir, 'js'));
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const written = JSON.parse(first.stdout) as { config: string; identities: Array<{ name: string; seedFile: string }> };
    expect(written.identities.map((i) => i.name)).toEqual(['api-gateway', 'export-worker', 'history-service', 'admin']);
    for (const { seedFile } of written.identities) expect((await stat(seedFile)).mode & 0o777).toBe(0o600);
    const config = await readFile(written.config, 'utf8');
    expect(config).toContain(`listen: "127.0.0.1:${port}"`);
    expect(config).not.toMatch(/SU[A-Z2-7]{56}/);
    const seed = await readFile(join(dir, 'admin.nk'), 'utf8');
    expect((await nats('init', '--dir', dir)).code).toBe(0);
    expect(await readFile(join(dir, 'admin.nk'), 'utf8')).toBe(seed);
  });

  it('init --cluster-nodes writes a config per node, readable by its owner only, that nats-server accepts, and keeps the route password', async () => {
    const clusterDir = join(dir, 'cluster');
    const first = await nats('init', '--dir', clusterDir, '--store-dir', '/data', '--cluster-nodes', 'nats-1,nats-2,nats-3', '--cluster-port', '6222');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const written = JSON.parse(first.stdout) as { nodeConfigs: string[]; natsUrl: string };
    expect(written.natsUrl).toBe('nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222');
    expect(written.nodeConfigs).toEqual(['nats-1', 'nats-2', 'nats-3'].map((node) => join(clusterDir, `nats-server-${node}.conf`)));
    const configs = await Promise.all(written.nodeConfigs.map((file) => readFile(file, 'utf8')));
    expect(configs[1]).toContain('server_name: "nats-2"');
    expect(configs[1]).toMatch(/routes: \[\n {4}"nats-route:\/\/route:[0-9a-f]{48}@nats-1:6222"\n {4}"nats-route:\/\/route:[0-9a-f]{48}@nats-3:6222"\n {2}\]/);
    for (const file of [...written.nodeConfigs, join(clusterDir, 'identities.json')]) expect((await stat(file)).mode & 0o777).toBe(0o600);
    const check = await new Promise<{ code: number; output: string }>((done) =>
      execFile(natsServerBinary(), ['-t', '-c', written.nodeConfigs[0]], (error, stdout, stderr) => done({ code: error ? 1 : 0, output: stdout + stderr })),
    );
    expect(check).toMatchObject({ code: 0, output: expect.stringContaining('is valid') });
    expect((await nats('init', '--dir', clusterDir, '--cluster-nodes', 'nats-1,nats-2,nats-3')).code).toBe(0);
    expect(await readFile(written.nodeConfigs[0], 'utf8')).toBe(configs[0]);
  });

  it('add gives a caller scoped to its accounts; the server started from the config enforces it', async () => {
    const added = await nats('add', '--dir', dir, '--name', 'crm', '--role', 'reader', '--accounts', ACCOUNT);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ name: 'crm', role: 'reader', accounts: [ACCOUNT], inboxPrefix: '_INBOX_crm' });
    const listed = (await nats('list', '--dir', dir)).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(listed.find((identity) => identity.name === 'crm').permissions.publish).toEqual([`exports.get.${ACCOUNT}`, `exports.list.${ACCOUNT}`, `exports.estimate.${ACCOUNT}`, `exports.downloads.${ACCOUNT}`, `history.browse.${ACCOUNT}`]);

    const deployment = await NatsDeployment.open(dir, { host: '127.0.0.1', port: 0, storeDir: join(dir, 'js'), namespace: '' });
    server = new NatsServerProcess(deployment);
    await server.start();
    const crm = await connect(natsConnectionOptions({ NATS_URL: server.url, NATS_NKEY_SEED_FILE: deployment.seedFile('crm') }, 'crm'));
    connections.push(crm);
    // Allowed: nobody answers here, so "no responders"; refused: a permissions violation.
    await expect(crm.request(`exports.get.${ACCOUNT}`, '{}', { timeout: 2000 })).rejects.toMatchObject({ code: '503' });
    await expect(crm.request(`exports.get.${randomUUID()}`, '{}', { timeout: 2000 })).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
  });

  it.each([
    [['add', '--dir', 'x', '--name', 'crm', '--role', 'admin', '--accounts', '*'], '--role must be'],
    [['add', '--dir', 'x', '--name', 'crm', '--role', 'reader'], '--accounts is required'],
    [['init'], '--dir is required'],
    [['init', '--dir', 'x', '--cluster-nodes', 'nats-1'], '--cluster-nodes is a list of 2 or more'],
    [['rotate', '--dir', 'x'], 'unknown command'],
  ])('refuses %j with a usage error', async (args, message) => {
    const run = await nats(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('refuses an account that is not an account id, and a name already taken', async () => {
    expect((await nats('add', '--dir', dir, '--name', 'bad', '--role', 'publisher', '--accounts', 'platform.>')).stderr).toContain('not an account id');
    const again = await nats('add', '--dir', dir, '--name', 'crm', '--role', 'reader', '--accounts', ACCOUNT);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists already');
  });
});
