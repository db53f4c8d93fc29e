import { readFileSync } from 'node:fs';
import { ConnectionOptions, nkeyAuthenticator } from 'nats';
import type { AppConfig } from './config';

/** The NATS settings of {@link AppConfig} a connection needs. */
export type NatsSettings = Pick<
  AppConfig,
  'NATS_URL' | 'NATS_NKEY_SEED_FILE' | 'NATS_USER' | 'NATS_PASSWORD' | 'NATS_TLS_CA_FILE' | 'NATS_TLS_CERT_FILE' | 'NATS_TLS_KEY_FILE'
>;

/**
 * The inbox prefix of an identity. Replies and JetStream acks come to inboxes; with one prefix per
 * identity, the server lets each identity subscribe to its own inboxes only, so no caller can read
 * the replies meant for another.
 */
export function inboxPrefixOf(identity: string): string {
  return `_INBOX_${identity}`;
}

/**
 * How every connection of an app (or a tool) reaches NATS: its servers, its identity (an nkey seed
 * or a user and password), TLS when configured, its own inbox prefix, and reconnecting forever.
 */
export function natsConnectionOptions(settings: NatsSettings, identity: string, name = identity): ConnectionOptions {
  const options: ConnectionOptions = {
    servers: settings.NATS_URL.split(','),
    name,
    inboxPrefix: inboxPrefixOf(identity),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
  };
  if (settings.NATS_NKEY_SEED_FILE) {
    options.authenticator = nkeyAuthenticator(readSeed(settings.NATS_NKEY_SEED_FILE));
  } else if (settings.NATS_USER) {
    options.user = settings.NATS_USER;
    options.pass = settings.NATS_PASSWORD;
  }
  if (settings.NATS_TLS_CA_FILE || settings.NATS_TLS_CERT_FILE) {
    options.tls = {
      ...(settings.NATS_TLS_CA_FILE ? { caFile: settings.NATS_TLS_CA_FILE } : {}),
      ...(settings.NATS_TLS_CERT_FILE ? { certFile: settings.NATS_TLS_CERT_FILE, keyFile: settings.NATS_TLS_KEY_FILE } : {}),
    };
  }
  return options;
}

/** Reads an nkey seed file (the first line that looks like a user seed), failing with the setting's name. */
function readSeed(path: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`NATS_NKEY_SEED_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const seed = text.split(/\r?\n/).map((line) => line.trim()).find((line) => /^SU[A-Z2-7]{56}$/.test(line));
  if (!seed) throw new Error(`NATS_NKEY_SEED_FILE: ${path} holds no user nkey seed (a line starting with "SU")`);
  return new TextEncoder().encode(seed);
}
