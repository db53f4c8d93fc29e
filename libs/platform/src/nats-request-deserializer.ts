import { randomUUID } from 'node:crypto';
import { IncomingEvent, IncomingRequest } from '@nestjs/microservices';
import { NatsRequestJSONDeserializer } from '@nestjs/microservices/deserializers';
import { JSON_BYTES_MESSAGES, jsonBytesProblem } from './json-body';

/** What a handler receives for a request whose body is not JSON: not an object, so the payload pipe refuses it (400). */
export const NOT_JSON_REQUEST = '(the request is not JSON)';

/** Requests refused before parsing (not UTF-8, nested too deeply): the payload pipe answers with the message. */
export const REFUSED_REQUESTS = new Set<string>(Object.values(JSON_BYTES_MESSAGES));

/**
 * Nest's NATS request decoder, except that a body that is not JSON becomes a request the
 * handler refuses with the 400 envelope. Nest decodes outside any handler, so its own
 * decoder's error would be an unhandled rejection that ends the process. Bytes that are not
 * UTF-8 (which the decoder would turn into U+FFFD) or nest too deeply are refused before parsing.
 */
export class TolerantNatsRequestDeserializer extends NatsRequestJSONDeserializer {
  override deserialize(value: Uint8Array, options?: Record<string, any>): IncomingRequest | IncomingEvent {
    const problem = jsonBytesProblem(value);
    if (problem) return { id: randomUUID(), pattern: options?.channel, data: JSON_BYTES_MESSAGES[problem] };
    try {
      return super.deserialize(value, options);
    } catch {
      return { id: randomUUID(), pattern: options?.channel, data: NOT_JSON_REQUEST };
    }
  }
}

/** True for the rejection Nest's own decoder leaves behind for a NATS request that is not JSON. */
export function isNatsBadJson(reason: unknown): boolean {
  const { name, code } = (reason ?? {}) as { name?: string; code?: string };
  return name === 'NatsError' && code === 'BAD_JSON';
}
