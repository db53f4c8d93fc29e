import { applyDecorators, HttpCode } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { ErrorCode, ExportRequestBase, ExportResourceDto, ExportType } from '@exports/contracts';
import { ApiErrors, KEYED } from '../docs/api-errors.decorator';
import { ExportsService } from './exports.service';
import { ApiIdempotencyKey } from './idempotency-key.decorator';

/** What every "create an export" route answers and documents: 202 with the export, 200 for a replay. */
export function CreateExportRoute(summary: string, description: string): MethodDecorator {
  return applyDecorators(
    HttpCode(202),
    ApiOperation({ summary, description }),
    ApiIdempotencyKey(),
    ApiAcceptedResponse({ type: ExportResourceDto, description: 'Export registered as PENDING; poll it with GET /exports/{exportId} until it is COMPLETED' }),
    ApiOkResponse({ type: ExportResourceDto, description: 'Replay of an earlier request with the same Idempotency-Key' }),
    ApiErrors(ErrorCode.Validation, ErrorCode.IdempotencyConflict, ErrorCode.PayloadTooLarge, ErrorCode.UnsupportedMediaType, ErrorCode.TooManyOpenExports, ...KEYED),
  );
}

/** The one create path of every export type over HTTP (NATS `exports.create` calls `createOnce` too). */
export async function createExport(
  exports: ExportsService,
  response: Response,
  request: { accountId: string; type: ExportType; body: ExportRequestBase; idempotencyKey?: string },
): Promise<ExportResourceDto> {
  const { resource, replayed } = await exports.createOnce(request.accountId, request.type, request.body, request.idempotencyKey);
  if (replayed) response.status(200);
  return resource;
}
