import { Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { AppConfig, natsConnectionOptions } from '@exports/platform';
import { HISTORY_NATS_CLIENT, HistoryClient } from './history.client';

/** The NATS request-reply client of the gateway (core NATS, not JetStream: a browse is answered or retried by the caller). */
@Module({
  imports: [
    ClientsModule.registerAsync([
      {
        name: HISTORY_NATS_CLIENT,
        useFactory: (config: AppConfig) => ({
          transport: Transport.NATS,
          options: natsConnectionOptions(config, 'api-gateway', 'api-gateway-requests'),
        }),
        inject: [AppConfig],
      },
    ]),
  ],
  providers: [HistoryClient],
  exports: [HistoryClient],
})
export class HistoryClientModule {}
