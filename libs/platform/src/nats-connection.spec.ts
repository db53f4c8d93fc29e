import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from 'nats';
import { inboxPrefixOf, natsConnectionOptions } from './nats-connection';

describe('natsConnectionOptions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nats-connection-'));

  it('connects as the identity of the seed file, with its own inbox prefix', () => {
    const seedFile = join(dir, 'api-gateway.nk');
    writeFileSync(seedFile, `${new TextDecoder().decode(nkeys.createUser().getSeed())}\n`);
    const options = natsConnectionOptions({ NATS_URL: 'nats://n1:4222,nats://n2:4222', NATS_NKEY_SEED_FILE: seedFile }, 'api-gateway');
    expect(options).toMatchObject({ servers: ['nats://n1:4222', 'nats://n2:4222'], name: 'api-gateway', inboxPrefix: inboxPrefixOf('api-gateway'), maxReconnectAttempts: -1 });
    expect(typeof options.authenticator).toBe('function');
    expect(options.user).toBeUndefined();
  });

  it('takes a user and password, and passes TLS files through', () => {
    const options = natsConnectionOptions(
      { NATS_URL: 'tls://n1:4222', NATS_USER: 'worker', NATS_PASSWORD: 'pw', NATS_TLS_CA_FILE: '/ca.pem', NATS_TLS_CERT_FILE: '/c.pem', NATS_TLS_KEY_FILE: '/k.pem' },
      'export-worker',
    );
    expect(options).toMatchObject({ user: 'worker', pass: 'pw', tls: { caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/k.pem' } });
    expect(options.authenticator).toBeUndefined();
  });

  it('names the setting when the seed file is missing or holds no seed', () => {
    expect(() => natsConnectionOptions({ NATS_URL: 'nats://n1:4222', NATS_NKEY_SEED_FILE: join(dir, 'missing.nk') }, 'x')).toThrow('NATS_NKEY_SEED_FILE: cannot read');
    const bad = join(dir, 'bad.nk');
    writeFileSync(bad, 'not a seed\n');
    expect(() => natsConnectionOptions({ NATS_URL: 'nats://n1:4222', NATS_NKEY_SEED_FILE: bad }, 'x')).toThrow('holds no user nkey seed');
  });
});
