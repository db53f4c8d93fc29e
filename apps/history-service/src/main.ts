import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { natsRequestReplyOptions, PlatformModule, runApp } from '@exports/platform';
import { DatabaseModule } from '@exports/database';
import { StorageModule } from '@exports/storage';
import { APP, AppModule } from './app.module';

/** /metrics and /health of the history-service, unless OPS_PORT says otherwise. */
const OPS_PORT_DEFAULT = 9102;

void runApp(APP, async (config, logger) => {
  @Module({ imports: [PlatformModule.forApp(APP, config, { opsPort: config.OPS_PORT ?? OPS_PORT_DEFAULT }), DatabaseModule.forApp(config), StorageModule.forApp(config), AppModule.forConfig(config)] })
  class RootModule {}

  // Request-reply on core NATS; one queue group, so each request reaches one instance.
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(RootModule, { logger, abortOnError: false, ...natsRequestReplyOptions(APP, config) });
  // listen() runs init() first (ingestion and exports start there), then subscribes.
  await app.listen();
  logger.log({ message: 'history-service ready', natsNamespace: config.NATS_NAMESPACE || undefined });
  return app;
});
