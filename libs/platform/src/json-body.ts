import { isUtf8 } from 'node:buffer';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json } from 'express';
import { DomainError, ErrorCode } from './errors';

/**
 * Deepest nesting of objects and arrays a JSON request may have. Requests are a few levels
 * deep; a deeper one is refused before parsing, so no recursive step (parser, transformer,
 * validator, hashing) ever walks 10,000 levels.
 */
export const MAX_JSON_DEPTH = 32;

export type JsonBytesProblem = 'not-utf8' | 'too-deep';

export const JSON_BYTES_MESSAGES: Record<JsonBytesProblem, string> = {
  'not-utf8': 'The request is not valid JSON: its bytes are not UTF-8',
  'too-deep': `The request JSON is nested more than ${MAX_JSON_DEPTH} levels deep`,
};

/** What makes raw JSON bytes unfit to parse: invalid UTF-8, or nesting past {@link MAX_JSON_DEPTH}. One pass, no recursion. */
export function jsonBytesProblem(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): JsonBytesProblem | undefined {
  if (!isUtf8(bytes)) return 'not-utf8';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c) i += 1; // backslash: skip the escaped byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      depth += 1;
      if (depth > maxDepth) return 'too-deep';
    } else if (byte === 0x5d || byte === 0x7d) depth -= 1;
  }
  return undefined;
}

class JsonBytesError extends Error {
  readonly type = 'entity.verify.failed';
}

const UNREADABLE_BODY = 'The request body must be JSON in UTF-8, sent as is or with a gzip, deflate or br Content-Encoding';

/** Where {@link jsonBodyParser} leaves the refusal of a body for {@link BodyErrorInterceptor}. */
const BODY_ERROR = Symbol('bodyError');

type RequestWithBodyError = Request & { [BODY_ERROR]?: DomainError };

/**
 * JSON body parsing whose failures become domain errors, so they reach the error filter as what
 * they are (Nest would otherwise pass the parser's raw message on). Bodies that are not UTF-8 or
 * nest too deeply are refused (400) before parsing. The refusal is not answered here: it waits on
 * the request until the route's guards have run ({@link BodyErrorInterceptor}), so a request with a
 * bad body is still authenticated first, and its answer carries the key's rate-limit headers.
 */
export function jsonBodyParser(limit: string): RequestHandler {
  const parse = json({
    limit,
    verify: (_request, _response, bytes) => {
      const problem = jsonBytesProblem(bytes);
      if (problem) throw new JsonBytesError(JSON_BYTES_MESSAGES[problem]);
    },
  });
  return (request: Request, response: Response, next: NextFunction) => {
    if (hasBody(request) && !isJson(request)) {
      // Not read as anything else: a body the API cannot read must not pass for an empty one.
      (request as RequestWithBodyError)[BODY_ERROR] = new DomainError(ErrorCode.UnsupportedMediaType, 'The request body must be JSON, sent as Content-Type: application/json');
      return next();
    }
    parse(request, response, (error?: unknown) => {
      if (!error) return next();
      const refusal = bodyRefusal(error, limit);
      if (!refusal) return next(error);
      (request as RequestWithBodyError)[BODY_ERROR] = refusal;
      request.body = undefined;
      next();
    });
  };
}

/** `application/json`, parameters aside: the one media type the parser reads. */
function isJson(request: Request): boolean {
  return (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/json';
}

/** A request that sends a body: some bytes announced, or a chunked one (as Node's parsers decide it). */
function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function bodyRefusal(error: unknown, limit: string): DomainError | undefined {
  const { status, type, message } = error as { status?: number; type?: string; message?: string };
  if (status === 413) return new DomainError(ErrorCode.PayloadTooLarge, `The request body is larger than ${limit}`);
  if (status === 415) return new DomainError(ErrorCode.UnsupportedMediaType, UNREADABLE_BODY);
  if (type === 'entity.verify.failed') return new DomainError(ErrorCode.Validation, message ?? JSON_BYTES_MESSAGES['not-utf8']);
  if (type === 'entity.parse.failed' || (typeof status === 'number' && status >= 400 && status < 500)) return new DomainError(ErrorCode.Validation, 'The request body is not valid JSON');
  return undefined;
}

/**
 * Answers the refusal {@link jsonBodyParser} left on the request, before any pipe. A guard rather
 * than an interceptor: registered after the API key guard it runs after authentication, so a
 * request without a valid key is still a 401 whatever its body, and it spares every request the
 * rxjs pipeline Nest builds around a handler as soon as one interceptor is installed.
 */
@Injectable()
export class BodyErrorGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') {
      const refusal = context.switchToHttp().getRequest<RequestWithBodyError>()[BODY_ERROR];
      if (refusal) throw refusal;
    }
    return true;
  }
}
