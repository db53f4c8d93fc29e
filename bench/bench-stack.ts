import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { NatsNamespace, Streams, StreamKey } from '@exports/contracts';
import { openDatabase } from '@exports/database';
import { AppConfig } from '@exports/platform';
import { AppName, AppProcess, LocalS3Server, startLocalS3Server } from '@exports/testing';

/**
 * What the benchmarks run against: the bench database (created and migrated if missing,
 * kept between runs), the real history-service from dist/ on a NATS namespace of its
 * own, an S3 server when none is configured, and a NATS connection for requests.
 */
export class BenchStack {
  readonly namespace = new NatsNamespace(`bench${randomBytes(3).toString('hex')}`);
  private s3?: { server: LocalS3Server; directory: string };
  private app?: BenchApp;
  private readonly apps = new Set<BenchApp>();
  private readonly namespaces: NatsNamespace[] = [];

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

  /** The process id of the history-service of {@link startHistoryService}, while it runs. */
  get historyServicePid(): number | undefined {
    return this.app?.child.pid;
  }

  get databaseName(): string {
    return new URL(this.databaseUrl).pathname.slice(1);
  }

  async startHistoryService(): Promise<void> {
    this.app = await this.startApp('history-service', { NATS_NAMESPACE: this.namespace.prefix, S3_BUCKET: 'bench' });
  }

  /** Stops the history-service of {@link startHistoryService} (its durable consumers stay on the server). */
  async stopHistoryService(): Promise<void> {
    if (this.app) await this.stopApp(this.app);
  }

  /** The S3 endpoint: S3_ENDPOINT, or a server started in this process on first use. */
  async s3Endpoint(): Promise<string> {
    const configured = process.env.S3_ENDPOINT;
    if (configured) return configured;
    if (!this.s3) {
      const directory = await mkdtemp(join(tmpdir(), 'exports-bench-s3-'));
      const server = await startLocalS3Server({ port: 0, directory, accessKey: this.config.S3_ACCESS_KEY, secretKey: this.config.S3_SECRET_KEY, silent: true });
      this.s3 = { server, directory };
    }
    return this.s3.server.endpoint;
  }

  /**
   * Starts an app from dist/ on the bench database and waits for its ready line; `env` gives
   * at least NATS_NAMESPACE and S3_BUCKET. Stopped by {@link stopApp} or {@link close}.
   */
  async startApp(app: BenchAppName, env: Record<string, string>): Promise<BenchApp> {
    const fullEnv = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: this.databaseUrl,
      NATS_URL: this.config.NATS_URL,
      S3_ENDPOINT: await this.s3Endpoint(),
      S3_ACCESS_KEY: this.config.S3_ACCESS_KEY,
      S3_SECRET_KEY: this.config.S3_SECRET_KEY,
      EXPORT_MAX_RANGE_DAYS: '366',
      OPS_PORT: '0',
      LOG_LEVEL: 'log',
      ...env,
    };
    const lines: string[] = [];
    const instance = await AppProcess.start(app, {
      env: fullEnv,
      onLine: (line) => {
        lines.push(line);
        if (lines.length > 200) lines.shift();
      },
    });
    const started: BenchApp = { name: app, child: instance.child, process: instance, lines };
    this.apps.add(started);
    return started;
  }

  async stopApp(app: BenchApp): Promise<void> {
    await app.process.stop('SIGTERM', 15_000);
    this.apps.delete(app);
  }

  /** Another NATS namespace for apps of their own; its streams are deleted by {@link close}. */
  newNamespace(): NatsNamespace {
    const namespace = new NatsNamespace(`bench${randomBytes(3).toString('hex')}`);
    this.namespaces.push(namespace);
    return namespace;
  }

  /**
   * Publishes `[subject, payload]` pairs (subjects without the namespace) to JetStream with up
   * to 512 acks outstanding; returns when the last is acked. Takes any iterable, so a large
   * backlog can be generated as it goes.
   */
  async publish(events: Iterable<readonly [subject: string, payload: string]>, namespace: NatsNamespace = this.namespace): Promise<void> {
    const js = this.nats.jetstream();
    const window = new Set<Promise<unknown>>();
    for (const [subject, payload] of events) {
      while (window.size >= 512) await Promise.race(window);
      const sent: Promise<unknown> = js.publish(namespace.subject(subject), payload).finally(() => window.delete(sent));
      window.add(sent);
    }
    await Promise.all(window);
  }

  /** The last lines the service logged, for a failure report. */
  serviceLog(): string {
    return (this.app?.lines ?? []).slice(-30).join('\n');
  }

  async close(): Promise<void> {
    await this.nats.close().catch(() => undefined);
    for (const app of this.apps) await app.process.stop('SIGTERM', 15_000);
    const nats = await connect({ servers: this.config.NATS_URL.split(',') }).catch(() => undefined);
    if (nats) {
      const manager = await nats.jetstreamManager();
      for (const namespace of [this.namespace, ...this.namespaces]) {
        for (const key of Object.keys(Streams) as StreamKey[]) await manager.streams.delete(namespace.stream(key).name).catch(() => undefined);
      }
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

export type BenchAppName = AppName;

export interface BenchApp {
  name: BenchAppName;
  child: ChildProcess;
  process: AppProcess;
  lines: string[];
}

/** Peak resident set (VmHWM) of a running process, in MB (10^6 bytes), from /proc. */
export async function peakRssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status);
  if (!kb) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return (Number(kb[1]) * 1024) / 1e6;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in seconds, from /proc; `reaped` adds its exited children's. */
export async function cpuSeconds(pid: number, reaped = false): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime, stime, cutime, cstime are the 12th to 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return (fields[11] + fields[12] + (reaped ? fields[13] + fields[14] : 0)) / TICKS_PER_SECOND;
}

/**
 * CPU time used so far by the PostgreSQL server of this machine, in seconds: every server process
 * alive, plus what the backends that have exited used (counted in the postmaster's children time).
 */
export function postgresCpuSeconds(): Promise<number> {
  return programsCpuSeconds((program) => program.startsWith('postgres:') || program.endsWith('/postgres'));
}

/** CPU time used so far by the NATS servers of this machine (`nats-server` processes), in seconds. */
export function natsServerCpuSeconds(): Promise<number> {
  return programsCpuSeconds((program) => program === 'nats-server' || program.endsWith('/nats-server'));
}

/** CPU time of every live process whose program (first word of its command line) `matches`, its reaped children's included. */
async function programsCpuSeconds(matches: (program: string) => boolean): Promise<number> {
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // A process may exit between the listing and the read.
    const program = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0')[0];
    if (matches(program)) total += await cpuSeconds(Number(entry), true).catch(() => 0);
  }
  return total;
}

/** The machine's CPU time since boot, all cores, in seconds: busy (not idle nor waiting on I/O) and total. */
export async function machineCpuSeconds(): Promise<{ busy: number; total: number }> {
  const [, ...ticks] = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).map(Number);
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = ticks[3] + ticks[4];
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/** CPU time so far, in seconds: of the named app processes, the PostgreSQL and NATS servers, and the machine. */
export interface CpuSnapshot<App extends string> {
  apps: Record<App, number>;
  postgres: number;
  natsServer: number;
  machine: { busy: number; total: number };
}

export async function cpuSnapshot<App extends string>(pids: Record<App, number>): Promise<CpuSnapshot<App>> {
  const apps = {} as Record<App, number>;
  for (const app of Object.keys(pids) as App[]) apps[app] = await cpuSeconds(pids[app]);
  return { apps, postgres: await postgresCpuSeconds(), natsServer: await natsServerCpuSeconds(), machine: await machineCpuSeconds() };
}

/**
 * The CPU each process used between two snapshots, divided by the `units` done meanwhile (requests,
 * events) and multiplied by `scale` (1e3 for ms, 1e6 for µs); `machineBusy` in % of all cores.
 */
export function cpuPerUnit<App extends string>(before: CpuSnapshot<App>, after: CpuSnapshot<App>, units: number, scale: number): Record<App | 'postgres' | 'natsServer', number> & { machineBusy: number } {
  const per = (from: number, to: number) => ((to - from) * scale) / Math.max(1, units);
  const apps = {} as Record<App, number>;
  for (const app of Object.keys(before.apps) as App[]) apps[app] = per(before.apps[app], after.apps[app]);
  return {
    ...apps,
    postgres: per(before.postgres, after.postgres),
    natsServer: per(before.natsServer, after.natsServer),
    machineBusy: (100 * (after.machine.busy - before.machine.busy)) / Math.max(0.01, after.machine.total - before.machine.total),
  };
}

export function median(samples: number[]): number {
  return percentile(samples, 50);
}

export interface Measurement {
  name: string;
  samples: number[];
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
