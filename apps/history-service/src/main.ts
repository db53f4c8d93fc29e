import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { PlatformModule, runApp } from '@exports/platform';
import { APP, AppModule } from './app.module';

void runApp(APP, async (config, logger) => {
  @Module({ imports: [PlatformModule.forApp(APP, config), AppModule.forConfig(config)] })
  class RootModule {}

  // Request-reply on core NATS; one queue group, so each request reaches one instance.
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(RootModule, {
    logger,
    transport: Transport.NATS,
    options: { servers: config.NATS_URL.split(','), queue: APP, name: `${APP}-requests`, maxReconnectAttempts: -1, reconnectTimeWait: 1000 },
  });
  // listen() runs init() first (ingestion and exports start there), then subscribes.
  await app.listen();
  logger.log({ message: 'history-service ready', natsNamespace: config.NATS_NAMESPACE || undefined });
  return app;
});
