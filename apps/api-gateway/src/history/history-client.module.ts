import { Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';
import { AppConfig } from '@exports/platform';
import { HISTORY_NATS_CLIENT, HistoryClient } from './history.client';

/** The NATS request-reply client of the gateway (core NATS, not JetStream: a browse is answered or retried by the caller). */
@Module({
  imports: [
    ClientsModule.registerAsync([
      {
        name: HISTORY_NATS_CLIENT,
        useFactory: (config: AppConfig) => ({
          transport: Transport.NATS,
          options: { servers: config.NATS_URL.split(','), name: 'api-gateway-requests', maxReconnectAttempts: -1, reconnectTimeWait: 1000 },
        }),
        inject: [AppConfig],
      },
    ]),
  ],
  providers: [HistoryClient],
  exports: [HistoryClient],
})
export class HistoryClientModule {}
