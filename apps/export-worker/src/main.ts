import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { PlatformModule, runApp } from '@exports/platform';
import { APP, AppModule } from './app.module';

void runApp(APP, async (config, logger) => {
  @Module({ imports: [PlatformModule.forApp(APP, config), AppModule] })
  class RootModule {}

  const app = await NestFactory.createApplicationContext(RootModule, { logger });
  await app.init();
  logger.log({ message: 'export-worker ready', natsNamespace: config.NATS_NAMESPACE || undefined });
  return app;
});
