import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '@exports/contracts';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; `details` names each bad field',
  401: 'Missing or unknown X-Api-Key',
  404: 'Unknown export, or another account\'s',
  409: 'The export is not in a state that allows this',
  413: 'Request body too large',
  429: 'Too many requests or too many unfinished exports',
  503: 'A dependency is unavailable; retry later',
};

/** Documents the error envelope for each status a route can answer. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorEnvelopeDto })));
}
