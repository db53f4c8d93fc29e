import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { JSONCodec, Subscription } from 'nats';
import { ApiKeysRevokedEvent, Subjects } from '@exports/contracts';
import { checkPayload, JetStream } from '@exports/platform';
import { ApiKeyCache } from './api-key-cache';

const codec = JSONCodec<unknown>();

/**
 * Keeps the key cache honest: every gateway instance listens on `auth.api-keys.revoked.*`
 * (published by the admin tools after a key is revoked or deleted) and drops those keys at once.
 * While the bus is unreachable a revocation could be missed, so the cache is paused (every
 * request looks its key up) until the connection is back.
 */
@Injectable()
export class ApiKeyRevocations implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyRevocations.name);
  private subscription?: Subscription;

  constructor(
    private readonly cache: ApiKeyCache,
    private readonly jetStream: JetStream,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Listening before the first request is served.
    this.subscription = await this.jetStream.listen(Subjects.auth.apiKeysRevoked, 'Key revocations', (_subject, data) => this.revoked(data));
    void this.watch();
  }

  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
  }

  private revoked(data: Uint8Array): void {
    let event: ApiKeysRevokedEvent;
    try {
      event = checkPayload(ApiKeysRevokedEvent, codec.decode(data), 'key revocation');
    } catch (error) {
      // Cannot tell which keys: forget them all rather than keep serving a revoked one.
      this.cache.clear();
      this.logger.warn({ message: 'Unreadable key revocation: key cache cleared', reason: (error as Error).message });
      return;
    }
    this.cache.revoke(event.keyIds);
    this.logger.log({ message: 'API keys revoked', accountId: event.accountId, keys: event.keyIds.length });
  }

  private async watch(): Promise<void> {
    for await (const status of this.jetStream.connection.status()) {
      if (status.type === 'disconnect') {
        this.cache.pause();
        this.logger.warn({ message: 'Key cache paused while NATS is unreachable' });
      } else if (status.type === 'reconnect') {
        this.cache.resume();
        this.logger.log({ message: 'Key cache resumed' });
      }
    }
  }
}
