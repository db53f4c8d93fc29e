import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Metrics, Readiness } from '@exports/platform';
import { Public } from '../auth/api-key.guard';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly readiness: Readiness,
    private readonly metrics: Metrics,
  ) {}

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @ApiOperation({ summary: 'Readiness: PostgreSQL, NATS and object storage answer; 503 names what is down' })
  @ApiOkResponse({ schema: { example: { status: 'ok', checks: { database: 'ok', nats: 'ok', storage: 'ok' } } } })
  @ApiServiceUnavailableResponse({ schema: { example: { status: 'unavailable: storage', checks: { database: 'ok', nats: 'ok', storage: 'down: connect ECONNREFUSED' } } } })
  async ready(@Res({ passthrough: true }) response: Response): Promise<{ status: string; checks: Record<string, string> }> {
    const checks = await this.readiness.check();
    const down = Object.entries(checks).filter(([, value]) => value !== 'ok');
    if (down.length) response.status(503);
    return { status: down.length ? `unavailable: ${down.map(([name]) => name).join(', ')}` : 'ok', checks };
  }

  @Get('metrics')
  @ApiExcludeEndpoint()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() response: Response): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    response.type(contentType).send(body);
  }
}
