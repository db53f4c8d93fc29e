import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { NatsNamespace, Streams, StreamKey } from '@exports/contracts';
import { openDatabase } from '@exports/database';
import { AppConfig } from '@exports/platform';
import { LocalS3Server, startLocalS3Server } from '@exports/testing';

/** The repository root: this file runs from dist/bench/. */
const ROOT = resolve(__dirname, '../..');

/**
 * What the benchmarks run against: the bench database (created and migrated if missing,
 * kept between runs), the real history-service from dist/ on a NATS namespace of its
 * own, an S3 server when none is configured, and a NATS connection for requests.
 */
export class BenchStack {
  readonly namespace = new NatsNamespace(`bench${randomBytes(3).toString('hex')}`);
  private s3?: { server: LocalS3Server; directory: string };
  private app?: { child: ChildProcess; lines: string[] };

  private constructor(
    readonly config: AppConfig,
    readonly databaseUrl: string,
    readonly dataSource: DataSource,
    readonly nats: NatsConnection,
  ) {}

  static async open(config: AppConfig): Promise<BenchStack> {
    const databaseUrl = benchDatabaseUrl(config.DATABASE_URL);
    const dataSource = await openDatabase(databaseUrl, 4);
    const nats = await connect({ servers: config.NATS_URL.split(',') });
    return new BenchStack(config, databaseUrl, dataSource, nats);
  }

  get databaseName(): string {
    return new URL(this.databaseUrl).pathname.slice(1);
  }

  async startHistoryService(): Promise<void> {
    let s3Endpoint = process.env.S3_ENDPOINT;
    if (!s3Endpoint) {
      const directory = await mkdtemp(join(tmpdir(), 'exports-bench-s3-'));
      const server = await startLocalS3Server({ port: 0, directory, accessKey: this.config.S3_ACCESS_KEY, secretKey: this.config.S3_SECRET_KEY });
      this.s3 = { server, directory };
      s3Endpoint = server.endpoint;
    }
    const env = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: this.databaseUrl,
      NATS_URL: this.config.NATS_URL,
      NATS_NAMESPACE: this.namespace.prefix,
      S3_ENDPOINT: s3Endpoint,
      S3_ACCESS_KEY: this.config.S3_ACCESS_KEY,
      S3_SECRET_KEY: this.config.S3_SECRET_KEY,
      S3_BUCKET: 'bench',
      EXPORT_MAX_RANGE_DAYS: '366',
      LOG_LEVEL: 'log',
    };
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'history-service', 'src', 'main.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    this.app = { child, lines };
    await new Promise<void>((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`history-service did not start in 60 s:\n${lines.slice(-20).join('\n')}`)), 60_000);
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          lines.push(line);
          if (lines.length > 200) lines.shift();
          if (line.includes('"message":"history-service ready"')) {
            clearTimeout(timer);
            resolveReady();
          }
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`history-service exited with ${code}:\n${lines.slice(-20).join('\n')}`));
      });
    });
  }

  /** The last lines the service logged, for a failure report. */
  serviceLog(): string {
    return (this.app?.lines ?? []).slice(-30).join('\n');
  }

  async close(): Promise<void> {
    await this.nats.close().catch(() => undefined);
    if (this.app) await stop(this.app.child);
    const nats = await connect({ servers: this.config.NATS_URL.split(',') }).catch(() => undefined);
    if (nats) {
      const manager = await nats.jetstreamManager();
      for (const key of Object.keys(Streams) as StreamKey[]) await manager.streams.delete(this.namespace.stream(key).name).catch(() => undefined);
      await nats.close();
    }
    if (this.s3) {
      await this.s3.server.close().catch(() => undefined);
      await rm(this.s3.directory, { recursive: true, force: true });
    }
    await this.dataSource.destroy();
  }
}

/** The bench's own database on the configured server: `exports_bench`, or BENCH_DATABASE_URL. */
export function benchDatabaseUrl(databaseUrl: string): string {
  const override = process.env.BENCH_DATABASE_URL;
  if (override) return override;
  const url = new URL(databaseUrl);
  url.pathname = '/exports_bench';
  return url.toString();
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolveExit();
    });
    child.kill('SIGTERM');
  });
}

export interface Measurement {
  name: string;
  samples: number[];
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
