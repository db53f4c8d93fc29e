import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_HEADER } from '../auth/api-key.guard';

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Exports API')
    .setDescription(
      'Asynchronous exports (contacts, delivery reports, message history) and message history browsing. ' +
        'Every route but health and docs needs the X-Api-Key header. Errors share one envelope: ' +
        '`{ status, error, message, details?, errorId? }`.',
    )
    .setVersion('1.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: API_KEY_HEADER }, 'apiKey')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at /docs, the JSON at /docs-json. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApi(app), { jsonDocumentUrl: 'docs-json' });
}
