import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AccountsRepository } from '@exports/database';
import { DomainError, ErrorCode } from '@exports/platform';

const PUBLIC = 'route:public';
/** Routes anyone may call without an API key (health, docs). */
export const Public = () => SetMetadata(PUBLIC, true);

export const API_KEY_HEADER = 'x-api-key';

export interface AuthenticatedRequest extends Request {
  accountId: string;
}

/** Every route but the public ones needs `X-Api-Key`; the key's account scopes the request. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: AccountsRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = request.headers[API_KEY_HEADER];
    if (typeof key !== 'string' || key.length === 0) {
      throw new DomainError(ErrorCode.Unauthorized, 'The X-Api-Key header is required');
    }
    const accountId = await this.accounts.accountIdForKey(key);
    if (!accountId) throw new DomainError(ErrorCode.Unauthorized, 'The API key in X-Api-Key is not valid');
    request.accountId = accountId;
    return true;
  }
}
