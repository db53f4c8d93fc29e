import { INestApplicationContext } from '@nestjs/common';
import { AppConfig, ConfigError, loadConfig, refuseUnsafeProduction } from '../config';
import { JsonLogger } from '../json-logger';
import { isNatsBadJson } from '../nats-request-deserializer';

/** Exit code of a refused configuration (sysexits' EX_CONFIG): restarting will not help. */
const EXIT_CONFIG = 78;

/**
 * Reads the config (a bad value, or an unsafe one with NODE_ENV=production, stops the
 * process naming the variable), makes the JSON logger, runs `start`, and turns
 * SIGINT/SIGTERM into a graceful close. `start` must create the app with
 * `abortOnError: false`, so a setting refused there (the database role) ends here too.
 */
export async function runApp(app: string, start: (config: AppConfig, logger: JsonLogger) => Promise<INestApplicationContext>): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
    refuseUnsafeProduction(config);
  } catch (error) {
    if (error instanceof ConfigError) refuse(app, error);
    throw error;
  }
  const logger = new JsonLogger(app, config.LOG_LEVEL);
  process.on('unhandledRejection', (reason) => {
    // Nest decodes NATS requests outside any handler: one that is not JSON rejects there. The
    // caller's mistake must not stop the service (apps reply 400 with TolerantNatsRequestDeserializer).
    if (isNatsBadJson(reason)) {
      logger.warn({ message: 'NATS request that is not JSON ignored' });
      return;
    }
    logger.fatal({ message: 'Unhandled rejection', error: (reason as Error)?.stack ?? String(reason) });
    process.exit(1);
  });
  try {
    const context = await start(config, logger);
    let closing = false;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (closing) return;
        closing = true;
        logger.log({ message: 'Shutting down', signal });
        const force = setTimeout(() => process.exit(1), 60_000);
        force.unref();
        context.close().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ message: 'Shutdown failed', error });
            process.exit(1);
          },
        );
      });
    }
  } catch (error) {
    if (error instanceof ConfigError) refuse(app, error);
    logger.fatal({ message: 'Start failed', error: (error as Error)?.message ?? String(error) });
    process.exit(1);
  }
}

function refuse(app: string, error: ConfigError): never {
  process.stderr.write(`${app}: ${error.message}\n`);
  process.exit(EXIT_CONFIG);
}
