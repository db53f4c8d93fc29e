import { ArrayMaxSize, ArrayMinSize, IsArray, IsUUID } from 'class-validator';

/** Key ids one {@link ApiKeysRevokedEvent} carries at most; more go in several events. */
export const REVOKED_KEYS_PER_EVENT = 1000;

/**
 * On `auth.api-keys.revoked.<accountId>` (core NATS, to every gateway instance): these keys of
 * the account no longer authenticate (revoked, or deleted with the account). Published by the
 * admin tools once the change is committed; a gateway drops them from its key cache at once.
 */
export class ApiKeysRevokedEvent {
  @IsUUID()
  accountId!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(REVOKED_KEYS_PER_EVENT)
  @IsUUID('all', { each: true })
  keyIds!: string[];
}
