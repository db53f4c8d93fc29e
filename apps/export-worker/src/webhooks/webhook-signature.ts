import { Webhook } from 'standardwebhooks';

/** The three headers of a delivery (Standard Webhooks). */
export interface WebhookHeaders {
  'Webhook-Id': string;
  'Webhook-Timestamp': string;
  'Webhook-Signature': string;
}

/**
 * Signs a delivery with each secret (`whsec_…`) that signs for its endpoint now: the current one,
 * and after a rotation the previous one too, for 24 h. Each signature is `v1,<base64 HMAC-SHA256
 * of "id.timestamp.body">`; several are separated by spaces, so a receiver holding either secret verifies.
 */
export function signWebhook(secrets: string[], id: string, at: Date, body: string): WebhookHeaders {
  if (!secrets.length) throw new Error('signWebhook needs at least one secret');
  return {
    'Webhook-Id': id,
    'Webhook-Timestamp': String(Math.floor(at.getTime() / 1000)),
    'Webhook-Signature': secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' '),
  };
}
