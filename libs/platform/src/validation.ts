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

/** The one pipe of every HTTP and NATS entry point: unknown fields refused, each bad field named. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => validationError(errors),
  });
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
  const instance = plainToInstance(cls, payload);
  const errors = validateSync(instance, VALIDATOR_OPTIONS);
  if (errors.length) throw validationError(errors, `The ${label} is not valid`);
  return instance;
}
