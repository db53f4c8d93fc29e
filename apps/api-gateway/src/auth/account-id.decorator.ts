import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './api-key.guard';

/** The account of the API key that authenticated the request. */
export const AccountId = createParamDecorator((_data: unknown, context: ExecutionContext): string =>
  context.switchToHttp().getRequest<AuthenticatedRequest>().accountId,
);
