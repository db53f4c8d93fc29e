import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from './error-codes';
import { ExportStatus } from './enums';

export class FieldErrorDto {
  @ApiProperty({ example: 'listIds', description: 'The field, with a dotted path inside objects and [i] inside arrays' })
  field!: string;

  @ApiProperty({ example: 'listIds must be an array' })
  message!: string;
}

/** The one envelope of every 4xx and 5xx, over HTTP and NATS request-reply alike. */
export class ErrorEnvelopeDto {
  @ApiProperty({ example: 400, description: 'The HTTP status, repeated' })
  status!: number;

  @ApiProperty({ example: 'Bad Request', description: 'The reason phrase of the status' })
  error!: string;

  @ApiProperty({
    enum: ErrorCode,
    enumName: 'ErrorCode',
    example: ErrorCode.Validation,
    description: 'What went wrong, from a stable catalogue: branch on this, never on `message`. Each code always comes with the same status.',
  })
  code!: ErrorCode;

  @ApiProperty({ example: 'The request is not valid', description: 'What went wrong and, where it helps, what to do' })
  message!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'On 400: one entry per bad field' })
  details?: FieldErrorDto[];

  @ApiPropertyOptional({ description: 'On 5xx: the id the server logged the failure under', example: '5f0c2a9e-8b1d-4e7a-b3c6-9d2e1f4a7b80' })
  errorId?: string;

  @ApiPropertyOptional({ description: 'On 429: seconds to wait (also the Retry-After header)', example: 12 })
  retryAfter?: number;

  @ApiPropertyOptional({
    enum: ExportStatus,
    example: ExportStatus.Expired,
    description: 'With LINK_EXPIRED and EXPORT_NOT_READY: the status of the export the request was about',
  })
  exportStatus?: ExportStatus;
}
