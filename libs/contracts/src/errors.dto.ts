import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'listIds' })
  field!: string;

  @ApiProperty({ example: 'listIds must be an array' })
  message!: string;
}

/** The one envelope of every 4xx and 5xx, over HTTP and NATS request-reply alike. */
export class ErrorEnvelopeDto {
  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({ example: 'Validation failed' })
  message!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  details?: FieldErrorDto[];

  @ApiPropertyOptional({ description: 'On 5xx: the id the server logged the failure under' })
  errorId?: string;

  @ApiPropertyOptional({ description: 'On 429: seconds to wait' })
  retryAfter?: number;
}
