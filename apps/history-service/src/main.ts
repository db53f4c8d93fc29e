import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PlatformModule, runApp } from '@exports/platform';
import { APP, AppModule } from './app.module';

void runApp(APP, async (config, logger) => {
  @Module({ imports: [PlatformModule.forApp(APP, config), AppModule] })
  class RootModule {}

  const app = await NestFactory.createApplicationContext(RootModule, { logger });
  await app.init();
  logger.log({ message: 'history-service ready' });
  return app;
});
