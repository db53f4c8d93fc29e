import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { JetStream } from '@exports/platform';
import { ObjectStorage } from '@exports/storage';
import { Public } from '../auth/api-key.guard';

type Check = 'ok' | string;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jetStream: JetStream,
    private readonly storage: ObjectStorage,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: PostgreSQL, NATS and object storage answer; 503 names what is down' })
  async ready(@Res({ passthrough: true }) response: Response): Promise<{ status: string; checks: Record<string, Check> }> {
    const [database, nats, storage] = await Promise.all([
      probe(() => this.dataSource.query('SELECT 1')),
      probe(async () => {
        if (this.jetStream.connection.isClosed()) throw new Error('connection closed');
        await this.jetStream.connection.flush();
      }),
      probe(() => this.storage.ping()),
    ]);
    const checks = { database, nats, storage };
    const down = Object.entries(checks).filter(([, v]) => v !== 'ok');
    if (down.length) response.status(503);
    return { status: down.length ? `unavailable: ${down.map(([name]) => name).join(', ')}` : 'ok', checks };
  }
}

async function probe(check: () => Promise<unknown>, timeoutMs = 2000): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (error) {
    return `down: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
