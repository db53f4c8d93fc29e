import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppConfig, PlatformModule } from '@exports/platform';
import { DatabaseModule } from '@exports/database';
import { StorageModule } from '@exports/storage';
import { APP, AppModule } from '../app.module';
import { buildOpenApi } from './openapi';

/**
 * The gateway's OpenAPI document without a running gateway: the same modules as main.ts,
 * scanned in Nest's preview mode, which resolves the dependency graph but instantiates no
 * provider, so nothing connects to PostgreSQL, NATS or S3 and no server starts.
 */
export async function createOpenApiDocument(): Promise<OpenAPIObject> {
  // Default settings: the providers that would read them are never built.
  const config = new AppConfig();
  @Module({ imports: [PlatformModule.forApp(APP, config), DatabaseModule.forApp(config), StorageModule.forApp(config), AppModule] })
  class DocumentModule {}

  const app = await NestFactory.create(DocumentModule, { preview: true, logger: false, abortOnError: false });
  return buildOpenApi(app);
}

/** 2-space JSON with keys sorted at every level and a final newline: the form of docs/openapi.json. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}
