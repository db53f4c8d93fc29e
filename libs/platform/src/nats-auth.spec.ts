import { NatsNamespace } from '@exports/contracts';
import { natsPermissions, NatsRole, natsServerConfig } from './nats-auth';

const A = '0c68a5a6-2a1a-418e-bcac-befa23e35773';
const B = '5f0e7c2b-9d1e-4c1a-8a52-3f7f2f4f9b10';
const none = new NatsNamespace();

describe('natsPermissions', () => {
  it('lets the gateway answer requests and feed the export stream, never publish platform events', () => {
    const gateway = natsPermissions({ name: 'api-gateway', role: NatsRole.ApiGateway }, none);
    expect(gateway.publish).toEqual(['$JS.API.>', '$JS.ACK.>', 'exports.requested.>', 'exports.events.>', 'history.browse.*', 'exports.run-cancelled.*']);
    expect(gateway.subscribe).toEqual([
      '_INBOX_api-gateway.>',
      'exports.create.*',
      'exports.get.*',
      'exports.list.*',
      'exports.estimate.*',
      'exports.cancel.*',
      'exports.downloads.*',
      'auth.api-keys.revoked.*',
    ]);
    expect(gateway.allowResponses).toBe(true);
    expect(gateway.publish.some((subject) => subject.startsWith('platform'))).toBe(false);
  });

  it('scopes a reader to the read subjects of its accounts, and to its own inbox', () => {
    expect(natsPermissions({ name: 'crm', role: NatsRole.Reader, accounts: [A, B] }, none)).toEqual({
      publish: [
        `exports.get.${A}`,
        `exports.get.${B}`,
        `exports.list.${A}`,
        `exports.list.${B}`,
        `exports.estimate.${A}`,
        `exports.estimate.${B}`,
        `exports.downloads.${A}`,
        `exports.downloads.${B}`,
        `history.browse.${A}`,
        `history.browse.${B}`,
      ],
      subscribe: ['_INBOX_crm.>'],
      allowResponses: false,
    });
  });

  it('lets a requester create and cancel exports too, and a publisher publish only platform events', () => {
    expect(natsPermissions({ name: 'bi', role: NatsRole.Requester, accounts: ['*'] }, none).publish).toEqual([
      'exports.create.*',
      'exports.get.*',
      'exports.list.*',
      'exports.estimate.*',
      'exports.downloads.*',
      'exports.cancel.*',
      'history.browse.*',
    ]);
    expect(natsPermissions({ name: 'core', role: NatsRole.Publisher, accounts: [A] }, none).publish).toEqual([
      `platform.contacts.upserted.${A}`,
      `platform.contacts.deleted.${A}`,
      `platform.messages.recorded.${A}`,
      `platform.messages.status.${A}`,
    ]);
  });

  it('puts every subject in the namespace, but not the inbox', () => {
    const worker = natsPermissions({ name: 'export-worker', role: NatsRole.ExportWorker }, new NatsNamespace('t1'));
    expect(worker.publish).toEqual(['$JS.API.>', '$JS.ACK.>', 't1.exports.requested.>', 't1.exports.events.>', 't1.dead-letter.>', 't1.webhooks.deliveries.>']);
    expect(worker.subscribe).toEqual(['_INBOX_export-worker.>', 't1.exports.run-cancelled.*']);
  });

  it('lets every worker app hear the cancels of runs, and only the gateway say them', () => {
    const roles = [NatsRole.ExportWorker, NatsRole.HistoryService];
    for (const role of roles) expect(natsPermissions({ name: role, role }, none).subscribe).toContain('exports.run-cancelled.*');
    for (const role of [...roles, NatsRole.Admin]) expect(natsPermissions({ name: role, role }, none).publish).not.toContain('exports.run-cancelled.*');
    expect(natsPermissions({ name: 'crm', role: NatsRole.Reader, accounts: ['*'] }, none).publish).not.toContain('exports.cancel.*');
  });

  it.each([
    [{ name: 'has space', role: NatsRole.Reader, accounts: [A] }, 'may only hold'],
    [{ name: 'crm', role: NatsRole.Reader }, 'needs the accounts'],
    [{ name: 'crm', role: NatsRole.Publisher, accounts: ['acme'] }, 'not an account id'],
    [{ name: 'crm', role: NatsRole.Reader, accounts: ['platform.>'] }, 'not an account id'],
  ])('refuses %j', (identity, message) => {
    expect(() => natsPermissions(identity, none)).toThrow(message);
  });
});

describe('natsServerConfig', () => {
  it('authenticates by nkey, with each identity limited to its permissions', () => {
    const config = natsServerConfig({
      host: '127.0.0.1',
      port: 4222,
      storeDir: '/data/js',
      namespace: none,
      identities: [
        { name: 'api-gateway', role: NatsRole.ApiGateway, publicKey: 'UGATEWAY' },
        { name: 'crm', role: NatsRole.Reader, accounts: [A], publicKey: 'UCRM' },
      ],
    });
    expect(config).toContain('listen: "127.0.0.1:4222"');
    expect(config).toContain('jetstream { store_dir: "/data/js" }');
    expect(config).toContain('nkey: "UGATEWAY"');
    expect(config).toContain(`publish: { allow: ["exports.get.${A}", "exports.list.${A}", "exports.estimate.${A}", "exports.downloads.${A}", "history.browse.${A}"] }`);
    expect(config).toContain('subscribe: { allow: ["_INBOX_crm.>"] }');
    expect(config.match(/allow_responses: true/g)).toHaveLength(1);
    expect(config).not.toMatch(/password|seed|SU[A-Z2-7]{56}/i);
  });
});

describe('natsServerConfig of a cluster node', () => {
  it('names the node and routes to the others with the route credentials, the users unchanged', () => {
    const identities = [{ name: 'api-gateway', role: NatsRole.ApiGateway, publicKey: 'UGATEWAY' }];
    const single = natsServerConfig({ host: '0.0.0.0', port: 4222, storeDir: '/data', namespace: none, identities });
    const node = natsServerConfig({
      host: '0.0.0.0',
      port: 4222,
      storeDir: '/data',
      namespace: none,
      identities,
      serverName: 'nats-1',
      cluster: { name: 'exports', host: '0.0.0.0', port: 6222, routes: ['nats-2:6222', 'nats-3:6222'], user: 'route', password: 'p@ss/word' },
    });
    expect(node).toContain('server_name: "nats-1"');
    expect(node).toContain('listen: "0.0.0.0:6222"');
    expect(node).toContain('authorization { user: "route", password: "p@ss/word" }');
    expect(node).toContain('"nats-route://route:p%40ss%2Fword@nats-2:6222"');
    expect(node).toContain('"nats-route://route:p%40ss%2Fword@nats-3:6222"');
    expect(node.slice(node.indexOf('authorization {\n'))).toBe(single.slice(single.indexOf('authorization {\n')));
    expect(single).not.toMatch(/server_name|cluster/);
  });
});
