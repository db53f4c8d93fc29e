import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nodeFlagsOf } from '@exports/platform';

export type AppName = 'api-gateway' | 'export-worker' | 'history-service';

/** The repository root (this file runs from libs/testing/src under jest, or dist/libs/testing/src). */
const ROOT = [resolve(__dirname, '../../..'), resolve(__dirname, '../../../..')].find((dir) => existsSync(join(dir, 'nx.json'))) ?? process.cwd();

/** The line each app logs once it serves. */
const READY = /"message":"(api-gateway listening|export-worker ready|history-service ready)"/;
/** Lines kept for the error of an app that does not start. */
const TAIL = 20;

export interface AppProcessOptions {
  /** The whole environment of the app (nothing is inherited). */
  env: NodeJS.ProcessEnv;
  /** Every line the app writes, stdout and stderr, as it comes. */
  onLine?: (line: string) => void;
  /** Default 60 s. */
  readyTimeoutMs?: number;
  /** Node flags; default the app's production ones (`nodeFlagsOf`). */
  nodeFlags?: readonly string[];
}

/**
 * One app from `dist/`, started with its node flags: the one way the tests, the bench and
 * `npm start` start, wait for and stop an app. `start` resolves once the app logs that it is
 * ready, and rejects with its last lines when it exits or times out first.
 */
export class AppProcess {
  private readonly tail: string[] = [];
  /** Settles once the app is ready, or has exited or timed out first. */
  readonly ready: Promise<void>;

  private constructor(
    readonly app: AppName,
    readonly child: ChildProcess,
    options: AppProcessOptions,
  ) {
    this.ready = this.readiness(options);
    // Whoever awaits `ready` sees a failure; nobody awaiting it is not an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** `dist/apps/<app>/src/main.js`: missing until `npm run build`. */
  static entry(app: AppName): string {
    return join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
  }

  /** Starts the app without waiting: `ready` tells when it serves. */
  static spawn(app: AppName, options: AppProcessOptions): AppProcess {
    if (!existsSync(AppProcess.entry(app))) throw new Error(`${AppProcess.entry(app)} is missing: run "npm run build" first`);
    const child = spawn(process.execPath, [...(options.nodeFlags ?? nodeFlagsOf(app)), AppProcess.entry(app)], { cwd: ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new AppProcess(app, child, options);
  }

  /** Starts the app and waits until it serves; one that fails to start is killed. */
  static async start(app: AppName, options: AppProcessOptions): Promise<AppProcess> {
    const started = AppProcess.spawn(app, options);
    try {
      await started.ready;
    } catch (error) {
      await started.stop('SIGKILL');
      throw error;
    }
    return started;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Sends `signal` (SIGTERM: a graceful stop) and waits for the exit; SIGKILL after `forceAfterMs`. */
  stop(signal: NodeJS.Signals = 'SIGTERM', forceAfterMs = 20_000): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolveExit) => {
      const force = setTimeout(() => this.child.kill('SIGKILL'), forceAfterMs);
      this.child.once('exit', () => {
        clearTimeout(force);
        resolveExit();
      });
      this.child.kill(signal);
    });
  }

  private readiness(options: AppProcessOptions): Promise<void> {
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    return new Promise<void>((resolveReady, reject) => {
      let ready = false;
      const timer = setTimeout(() => reject(new Error(`${this.app} did not start in ${timeoutMs / 1000} s:\n${this.tail.join('\n')}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          this.tail.push(line);
          if (this.tail.length > TAIL) this.tail.shift();
          options.onLine?.(line);
          if (!ready && READY.test(line)) {
            ready = true;
            clearTimeout(timer);
            resolveReady();
          }
        }
      };
      this.child.stdout!.on('data', onData);
      this.child.stderr!.on('data', onData);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`${this.app} exited with ${code} before it was ready:\n${this.tail.join('\n')}`));
      });
    });
  }
}
