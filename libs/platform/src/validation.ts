import { ArgumentMetadata, PipeTransform, ValidationPipe } from '@nestjs/common';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync, ValidatorOptions } from 'class-validator';
import { validationError } from './errors';
import { REFUSED_REQUESTS } from './nats-request-deserializer';

export const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
};

/**
 * More keys than any valid object of any payload has (the largest: a contact's customFields, at
 * most 100). An object with more is refused whatever its later keys hold, so they are not read:
 * without the cut, a 1 MB NATS payload of 40,000 unknown keys held the event loop for seconds
 * and named every key in its refusal.
 */
export const MAX_KEYS = 128;

/** Plain objects (at any depth) cut to their first `MAX_KEYS` keys; anything else as it is. */
export function boundedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(boundedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const kept: Array<[string, unknown]> = [];
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (kept.length === MAX_KEYS) break;
    kept.push([key, boundedKeys((value as Record<string, unknown>)[key])]);
  }
  return Object.fromEntries(kept);
}

/** The one pipe of every HTTP and NATS entry point: unknown fields refused, each bad field named. */
export function createValidationPipe(): PipeTransform {
  const pipe = new ValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => validationError(errors),
  });
  return {
    // A custom decorator's value is the app's own (the caller's account), never cut.
    transform: (value: unknown, metadata: ArgumentMetadata) => pipe.transform(metadata.type === 'custom' ? value : boundedKeys(value), metadata) as unknown,
  };
}

/**
 * The pipe of NATS request-reply handlers: the HTTP pipe, plus a refusal of payloads
 * that are not JSON objects (HTTP bodies are always objects by then; NATS payloads may be anything).
 */
export function createPayloadPipe(): PipeTransform {
  const pipe = createValidationPipe();
  return {
    transform: (value: unknown, metadata: ArgumentMetadata) => {
      if (typeof value === 'string' && REFUSED_REQUESTS.has(value)) throw validationError([], value);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw validationError([], 'The request must be a JSON object');
      return pipe.transform(value, metadata);
    },
  };
}

/**
 * Validates a plain payload (an ingested event, a NATS request) into its class, or throws a
 * DomainError. Synchronous: no payload class has an asynchronous rule, and an ingested event
 * is checked in tens of microseconds instead of a promise per rule.
 */
export function checkPayload<T extends object>(cls: ClassConstructor<T>, payload: unknown, label = 'payload'): T {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw validationError([], `The ${label} must be a JSON object`);
  }
  const instance = plainToInstance(cls, boundedKeys(payload));
  const errors = validateSync(instance, VALIDATOR_OPTIONS);
  if (errors.length) throw validationError(errors, `The ${label} is not valid`);
  return instance;
}
