import { NatsOptions, Transport } from '@nestjs/microservices';
import { AppConfig } from './config';
import { TolerantNatsRequestDeserializer } from './nats-request-deserializer';

/**
 * Nest's NATS transport for an app's request-reply handlers: core NATS, one queue group
 * per app (each request reaches one instance), reconnecting forever, and a request that
 * is not JSON answered with the 400 envelope instead of ending the process.
 */
export function natsRequestReplyOptions(app: string, config: AppConfig): NatsOptions {
  return {
    transport: Transport.NATS,
    options: {
      servers: config.NATS_URL.split(','),
      queue: app,
      name: `${app}-requests`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      deserializer: new TolerantNatsRequestDeserializer(),
    },
  };
}
