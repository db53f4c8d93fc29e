import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/api-key.guard';

/**
 * The public port's only probe. Readiness (which names what is down) and /metrics are on
 * the ops port (OPS_PORT), which is never published: internals stay inside.
 */
@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process answers (readiness and metrics are on the internal ops port)' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
