import { STATUS_CODES } from 'node:http';
import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, OperationObject, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from '../app.module';
import { API_KEY_HEADER } from '../auth/api-key.guard';
import { PLATFORM_BASE_PATH } from '../base-path';
import { headerRefs, RATE_LIMIT_HEADERS, RETRY_AFTER_HEADER } from './rate-limit-headers';

const API_KEY_SCHEME = 'apiKey';

/** Responses given before the key is accepted, so without the rate-limit headers. */
const BEFORE_RATE_LIMIT = new Set(['401']);

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Exports API')
    .setDescription(
      'Asynchronous exports (contacts, delivery reports, message history) and message history browsing. ' +
        'Every route but health and docs needs the X-Api-Key header; each key has a request budget per window, ' +
        'reported in `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`. Errors share one envelope: ' +
        '`{ status, error, code, message, details?, retryAfter?, errorId? }`, where `code` is one of a stable catalogue (see ErrorEnvelopeDto).',
    )
    .setVersion('1.0')
    // Not an open-source API: its terms are the partner agreement, of which this reference is part.
    .setLicense('Proprietary: for partners of the platform, under their partner agreement', '/docs')
    .addServer(PLATFORM_BASE_PATH, 'The platform base path of the partner gateway v1 (every route is served there)')
    .addServer('/', 'The same routes at the root of this gateway')
    .addApiKey({ type: 'apiKey', in: 'header', name: API_KEY_HEADER, description: 'The API key of the account, as made by `npm run admin -- account:create`' }, API_KEY_SCHEME)
    .addTag('exports', 'Asynchronous CSV exports: estimate one, request it, poll it, download it through a short-lived link, regenerate the link')
    .addTag('message history', 'Browse the messages of an account, or export them as CSV')
    .addTag('webhooks', 'Signed notifications of export events (Standard Webhooks), with retries; each endpoint lists its deliveries')
    .addTag('health', 'Liveness probe; no API key needed (readiness and metrics are on the internal ops port)')
    .build();
  // The HTTP API is AppModule and what it imports: not the NATS request-reply controllers beside it.
  const document = SwaggerModule.createDocument(app, config, { include: [AppModule], deepScanRoutes: true });
  return describeAccessAndLimits(document);
}

/**
 * What the route decorators cannot say once for all routes: routes without a key are
 * marked public (`security: []`), keyed responses carry the rate-limit headers, 429s
 * also `Retry-After`, and a response without a description gets its reason phrase.
 */
function describeAccessAndLimits(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, headers: { ...document.components?.headers, ...RATE_LIMIT_HEADERS, ...RETRY_AFTER_HEADER } };
  for (const pathItem of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const) {
      const operation: OperationObject | undefined = pathItem[method];
      if (!operation) continue;
      operation.security ??= [];
      const keyed = operation.security.some((requirement) => API_KEY_SCHEME in requirement);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!response || '$ref' in response) continue;
        if (!response.description) response.description = STATUS_CODES[status] ?? status;
        if (!keyed || BEFORE_RATE_LIMIT.has(status)) continue;
        response.headers = { ...headerRefs(RATE_LIMIT_HEADERS), ...(status === '429' ? headerRefs(RETRY_AFTER_HEADER) : {}), ...response.headers };
      }
    }
  }
  return document;
}

/** Swagger UI at /docs, the JSON at /docs-json. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApi(app), { jsonDocumentUrl: 'docs-json' });
}
