import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createValidationPipe, jsonBodyParser, Metrics, PlatformModule, runApp } from '@exports/platform';
import { APP, AppModule } from './app.module';
import { serveOpenApi } from './docs/openapi';
import { httpObserver } from './health/http-observer';

/** Request bodies are small filter objects; anything bigger is refused with 413. */
const BODY_LIMIT = '64kb';

void runApp(APP, async (config, logger) => {
  @Module({ imports: [PlatformModule.forApp(APP, config), AppModule] })
  class RootModule {}

  const app = await NestFactory.create<NestExpressApplication>(RootModule, { logger, bodyParser: false });
  app.use(httpObserver(app.get(Metrics)));
  app.use(jsonBodyParser(BODY_LIMIT));
  app.useGlobalPipes(createValidationPipe());
  app.disable('x-powered-by');
  serveOpenApi(app);
  await app.listen(config.PORT, '0.0.0.0');
  logger.log({ message: 'api-gateway listening', url: `http://127.0.0.1:${config.PORT}` });
  return app;
});
