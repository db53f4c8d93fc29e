import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NatsNamespace } from '@exports/contracts';
import { AppConfig } from '../config';
import { JetStream } from '../jetstream';
import { natsConnectionOptions } from '../nats-connection';
import { Metrics } from '../metrics';
import { OpsServer } from '../ops-server';
import { retryAtStart } from '../retry';
import { Readiness } from './readiness';

const OPS_PORT = Symbol('OPS_PORT');

/** The /metrics and /health endpoints of an app, on its ops port: internal, never the public one. */
@Injectable()
class OpsEndpoints implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: OpsServer;

  constructor(
    private readonly metrics: Metrics,
    private readonly readiness: Readiness,
    @Inject(OPS_PORT) private readonly port: number | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.port === null) return;
    this.server = new OpsServer(this.metrics, () => this.readiness.check());
    await this.server.listen(this.port);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

/** Closes the NATS connection last, and tells readiness whether it answers. */
@Injectable()
class NatsLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');

  constructor(
    private readonly jetStream: JetStream,
    readiness: Readiness,
  ) {
    readiness.register('nats', async () => {
      if (jetStream.connection.isClosed()) throw new Error('connection closed');
      await jetStream.connection.flush();
    });
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    await this.jetStream.close();
    this.logger.log({ message: 'Connections closed', signal });
  }
}

/**
 * What every app has, built once from the validated config: the config itself, metrics,
 * readiness and the ops port, and our JetStream connection. PostgreSQL and object storage
 * are the `DatabaseModule` and `StorageModule` of their own libs, a layer above this one.
 */
@Global()
@Module({})
export class PlatformModule {
  /** `opsPort`: serve /metrics and /health on this port. */
  static forApp(app: string, config: AppConfig, options: { opsPort?: number } = {}): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: Metrics, useValue: new Metrics(app) },
        { provide: OPS_PORT, useValue: options.opsPort ?? null },
        Readiness,
        OpsEndpoints,
        { provide: AppConfig, useValue: config },
        {
          provide: JetStream,
          useFactory: () => retryAtStart('NATS', () => JetStream.connect(natsConnectionOptions(config, app), new NatsNamespace(config.NATS_NAMESPACE), config.NATS_STREAM_REPLICAS)),
        },
        NatsLifecycle,
      ],
      exports: [AppConfig, JetStream, Metrics, Readiness],
    };
  }
}
