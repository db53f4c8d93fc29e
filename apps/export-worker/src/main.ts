import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { PlatformModule, runApp } from '@exports/platform';
import { DatabaseModule } from '@exports/database';
import { StorageModule } from '@exports/storage';
import { APP, AppModule } from './app.module';

/** /metrics and /health of the export-worker, unless OPS_PORT says otherwise. */
const OPS_PORT_DEFAULT = 9101;

void runApp(APP, async (config, logger) => {
  @Module({ imports: [PlatformModule.forApp(APP, config, { opsPort: config.OPS_PORT ?? OPS_PORT_DEFAULT }), DatabaseModule.forApp(config), StorageModule.forApp(config), AppModule] })
  class RootModule {}

  const app = await NestFactory.createApplicationContext(RootModule, { logger, abortOnError: false });
  await app.init();
  logger.log({ message: 'export-worker ready', natsNamespace: config.NATS_NAMESPACE || undefined });
  return app;
});
