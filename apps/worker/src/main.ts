import { ConfigError, loadConfig, type Config } from '@rag/config';
import { StartError } from '@rag/lifecycle';
import { createLogger } from '@rag/observability';
import { startWorkerApp, type WorkerApp } from './worker-app.ts';

let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
const logger = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
let app: WorkerApp;
try {
  app = await startWorkerApp(config, { logger });
} catch (err) {
  // What an operator can fix (a port in use, a service down, a database that does not match) is one line;
  // anything else is a bug, logged with its stack.
  if (err instanceof StartError) console.error(`worker failed to start: ${err.message}`);
  else logger.fatal({ err }, `worker failed to start: ${(err as Error).message}`);
  process.exit(1);
}

let signals = 0;
const stop = (signal: string) => {
  signals++;
  if (signals > 1) {
    logger.warn(
      { signal },
      'second signal: exiting now; unfinished asks are recovered by other workers after their lock expires',
    );
    process.exit(1);
  }
  logger.info({ signal }, 'shutting down');
  app.close().then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
