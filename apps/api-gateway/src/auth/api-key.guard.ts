import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DataSource } from 'typeorm';
import type { Request, Response } from 'express';
import { AccountsRepository, hashApiKey } from '@exports/database';
import { AppConfig, DomainError, ErrorCode } from '@exports/platform';
import { AuthFailureThrottle } from '../rate-limit/auth-failure-throttle';
import { RateLimiter, sharedRateLimiter } from '../rate-limit/rate-limiter';
import { ApiKeyCache } from './api-key-cache';

const PUBLIC = 'route:public';
/** Routes anyone may call without an API key (health, docs). */
export const Public = () => SetMetadata(PUBLIC, true);

export const API_KEY_HEADER = 'x-api-key';

export interface AuthenticatedRequest extends Request {
  accountId: string;
  /** The id of the key that authenticated the request (what the download audit records). */
  apiKeyId: string;
}

/**
 * Every route but the public ones needs `X-Api-Key`; the key's account scopes the
 * request, and the key's budget (one for all gateway instances, counted in PostgreSQL) is spent: 429 when it is gone.
 * Valid keys are looked up once per API_KEY_CACHE_TTL_MS ({@link ApiKeyCache}; revocations reach it over NATS).
 * A client address that sent `AUTH_FAILURES_PER_MINUTE` missing or unknown keys is
 * refused (429) for a minute before any key it sends is looked up, a valid one included.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly limiter: RateLimiter;
  private readonly failures: AuthFailureThrottle;

  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: AccountsRepository,
    private readonly keys: ApiKeyCache,
    private readonly config: AppConfig,
    dataSource: DataSource,
  ) {
    this.limiter = sharedRateLimiter(dataSource, config.RATE_LIMIT_REQUESTS, config.RATE_LIMIT_WINDOW_SECONDS);
    this.failures = new AuthFailureThrottle(config.AUTH_FAILURES_PER_MINUTE, 60_000);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // NATS request-reply callers are internal services that name the account themselves.
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // The TCP peer, or with TRUST_PROXY the address the trusted proxies saw (main.ts sets Express's `trust proxy`).
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    const retryAfter = this.failures.blockedFor(address);
    if (retryAfter > 0) {
      throw new DomainError(
        ErrorCode.RateLimited,
        `Too many requests without a valid API key from this address (limit ${this.failures.limit} per minute); retry after ${retryAfter} s`,
        undefined,
        { retryAfter },
      );
    }
    const key = request.headers[API_KEY_HEADER];
    if (typeof key !== 'string' || key.length === 0) {
      this.failures.fail(address);
      throw new DomainError(ErrorCode.Unauthorized, 'The X-Api-Key header is required');
    }
    const hash = hashApiKey(key);
    const found = await this.keys.find(hash, () => this.accounts.findKey(key));
    if (!found) {
      this.failures.fail(address);
      throw new DomainError(ErrorCode.Unauthorized, 'The API key in X-Api-Key is not valid');
    }
    request.accountId = found.accountId;
    request.apiKeyId = found.keyId;
    const budget = await this.limiter.take(hash);
    const response = context.switchToHttp().getResponse<Response>();
    response.setHeader('X-RateLimit-Limit', String(budget.limit));
    response.setHeader('X-RateLimit-Remaining', String(budget.remaining));
    response.setHeader('X-RateLimit-Reset', String(budget.retryAfter));
    if (!budget.allowed) {
      throw new DomainError(ErrorCode.RateLimited, `Rate limit of ${budget.limit} requests per ${this.config.RATE_LIMIT_WINDOW_SECONDS} s reached for this API key`, undefined, {
        retryAfter: budget.retryAfter,
      });
    }
    return true;
  }
}
