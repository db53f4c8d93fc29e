import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '@exports/contracts';
import { Public } from '../auth/api-key.guard';
import { ApiErrors } from '../docs/api-errors.decorator';

/**
 * The public port's only probe. Readiness (which names what is down) and /metrics are on
 * the ops port (OPS_PORT), which is never published: internals stay inside.
 */
@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  @Get('health/live')
  @ApiOperation({
    summary: 'Liveness: the process answers (readiness and metrics are on the internal ops port)',
    description:
      'Answers 200 `{"status":"ok"}` while the gateway process serves HTTP; it checks no dependency, so an orchestrator ' +
      'restarts the process only when it stops answering. No API key needed. Like every route, it refuses a request ' +
      'body it cannot read: not JSON (400), larger than 64 kB (413), in an unknown Content-Encoding (415).',
  })
  @ApiOkResponse({ description: 'The process answers', schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'], example: { status: 'ok' } } })
  @ApiErrors(ErrorCode.Validation, ErrorCode.PayloadTooLarge, ErrorCode.UnsupportedMediaType)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
