import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { PlatformModule, runApp, TolerantNatsRequestDeserializer } from '@exports/platform';
import { APP, AppModule } from './app.module';

/** /metrics and /health of the history-service, unless OPS_PORT says otherwise. */
const OPS_PORT_DEFAULT = 9102;

void runApp(APP, async (config, logger) => {
  @Module({ imports: [PlatformModule.forApp(APP, config, { opsPort: config.OPS_PORT ?? OPS_PORT_DEFAULT }), AppModule.forConfig(config)] })
  class RootModule {}

  // Request-reply on core NATS; one queue group, so each request reaches one instance.
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(RootModule, {
    logger,
    transport: Transport.NATS,
    options: {
      servers: config.NATS_URL.split(','),
      queue: APP,
      name: `${APP}-requests`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      // A request that is not JSON gets the 400 envelope instead of ending the process.
      deserializer: new TolerantNatsRequestDeserializer(),
    },
  });
  // listen() runs init() first (ingestion and exports start there), then subscribes.
  await app.listen();
  logger.log({ message: 'history-service ready', natsNamespace: config.NATS_NAMESPACE || undefined });
  return app;
});
