import type { NextFunction, Request, Response } from 'express';

/** Where the platform serves this API; every route answers there as well as at the root. */
export const PLATFORM_BASE_PATH = '/api/partner-gateway/v1';

/**
 * Serves every route under {@link PLATFORM_BASE_PATH} too, from the one routing table: the
 * prefix is taken off the URL before routing, so `/api/partner-gateway/v1/exports` is routed,
 * authenticated, limited and logged as `/exports`. `originalUrl` keeps what the client sent.
 */
export function platformBasePath(request: Request, _response: Response, next: NextFunction): void {
  const { url } = request;
  if (url.startsWith(PLATFORM_BASE_PATH)) {
    const rest = url.slice(PLATFORM_BASE_PATH.length);
    if (rest === '' || rest.startsWith('/') || rest.startsWith('?')) request.url = rest.startsWith('/') ? rest : `/${rest}`;
  }
  next();
}
