import { BeforeApplicationShutdown, DynamicModule, Global, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JetStream } from '@exports/platform';
import { OutboxMessageOf } from './outbox-entry';
import { OutboxRelay } from './outbox-relay';
import { OutboxRepository } from './outbox.repository';

/** Starts the relay with the app and drains it before the connections close. */
@Injectable()
class OutboxRelayLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

/**
 * The outbox relay of an app that writes outbox entries: `OutboxModule.forApp(messageOf)`, where
 * `messageOf` turns an entry into its bus message. Provides `OutboxRelay` (to `kick` it after a
 * write). Needs `PlatformModule` (JetStream) and a TypeORM `DataSource` (`DatabaseModule`).
 */
@Global()
@Module({})
export class OutboxModule {
  static forApp(messageOf: OutboxMessageOf): DynamicModule {
    return {
      module: OutboxModule,
      providers: [
        {
          provide: OutboxRelay,
          useFactory: (dataSource: DataSource, jetStream: JetStream) => new OutboxRelay(new OutboxRepository(dataSource), jetStream, messageOf),
          inject: [DataSource, JetStream],
        },
        OutboxRelayLifecycle,
      ],
      exports: [OutboxRelay],
    };
  }
}
