import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json } from 'express';
import { DomainError, ErrorCode } from './errors';

/**
 * JSON body parsing whose failures become domain errors, so they reach the error
 * filter as what they are (Nest would otherwise pass the parser's raw message on).
 */
export function jsonBodyParser(limit: string): RequestHandler {
  const parse = json({ limit });
  return (request: Request, response: Response, next: NextFunction) =>
    parse(request, response, (error?: unknown) => {
      if (!error) return next();
      const { status, type } = error as { status?: number; type?: string };
      if (status === 413) return next(new DomainError(ErrorCode.PayloadTooLarge, `The request body is larger than ${limit}`));
      if (type === 'entity.parse.failed') return next(new DomainError(ErrorCode.Validation, 'The request body is not valid JSON'));
      next(error);
    });
}
