import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Metrics } from '@exports/platform';

const logger = new Logger('HTTP');

/**
 * Counts and times every request by route template, and logs one line per request:
 * method, route, status, duration and account; never headers, query values or bodies.
 */
export function httpObserver(metrics: Metrics) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (request.route as { path?: string } | undefined)?.path ?? 'unmatched';
      metrics.httpRequests.inc({ method: request.method, route, status: String(response.statusCode) });
      metrics.httpDuration.observe({ method: request.method, route }, seconds);
      if (route.startsWith('/health')) return;
      logger.log({
        message: 'HTTP request',
        method: request.method,
        route,
        status: response.statusCode,
        ms: Math.round(seconds * 1000),
        accountId: (request as Request & { accountId?: string }).accountId,
      });
    });
    next();
  };
}
