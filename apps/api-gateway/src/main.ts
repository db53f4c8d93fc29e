import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NatsNamespace } from '@exports/contracts';
import { createValidationPipe, jsonBodyParser, Metrics, natsRequestReplyOptions, PlatformModule, runApp } from '@exports/platform';
import { DatabaseModule } from '@exports/database';
import { StorageModule } from '@exports/storage';
import { APP, AppModule } from './app.module';
import { platformBasePath } from './base-path';
import { serveOpenApi } from './docs/openapi';
import { exportEstimatesRpcController } from './estimates/export-estimates.rpc-controller';
import { exportsRpcController } from './exports/exports.rpc-controller';
import { httpObserver } from './health/http-observer';

/** Request bodies are small filter objects; anything bigger is refused with 413. */
const BODY_LIMIT = '64kb';
/** /metrics and /health/ready of the gateway, off its public port, unless OPS_PORT says otherwise. */
const OPS_PORT_DEFAULT = 9100;

void runApp(APP, async (config, logger) => {
  const namespace = new NatsNamespace(config.NATS_NAMESPACE);
  @Module({
    imports: [PlatformModule.forApp(APP, config, { opsPort: config.OPS_PORT ?? OPS_PORT_DEFAULT }), DatabaseModule.forApp(config), StorageModule.forApp(config), AppModule],
    controllers: [exportsRpcController(namespace), exportEstimatesRpcController(namespace)],
  })
  class RootModule {}

  const app = await NestFactory.create<NestExpressApplication>(RootModule, { logger, bodyParser: false, abortOnError: false });
  app.use(platformBasePath);
  app.use(httpObserver(app.get(Metrics)));
  app.use(jsonBodyParser(BODY_LIMIT));
  app.useGlobalPipes(createValidationPipe());
  app.disable('x-powered-by');
  // X-Forwarded-For is believed only from the proxies TRUST_PROXY says are in front (the unauthenticated throttle counts per address).
  app.set('trust proxy', config.TRUST_PROXY);
  serveOpenApi(app);
  // exports.create/get/list/estimate for internal services: core NATS request-reply, one queue group.
  app.connectMicroservice<MicroserviceOptions>(natsRequestReplyOptions(APP, config));
  await app.startAllMicroservices();
  await app.listen(config.PORT, '0.0.0.0');
  logger.log({ message: 'api-gateway listening', address: `http://127.0.0.1:${config.PORT}` });
  return app;
});
