import { ConfigError, loadConfig, type Config } from '@rag/config';
import { StartError } from '@rag/lifecycle';
import { createLogger } from '@rag/observability';
import { startGatewayApp, type GatewayApp } from './gateway-app.ts';

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
const logger = createLogger({ level: config.LOG_LEVEL, name: 'gateway' });
let app: GatewayApp;
try {
  app = await startGatewayApp(config, { logger });
} catch (err) {
  // What an operator can fix (a port in use, a service down, a database that does not match) is one line;
  // anything else is a bug, logged with its stack.
  if (err instanceof StartError) console.error(`gateway failed to start: ${err.message}`);
  else logger.fatal({ err }, `gateway failed to start: ${(err as Error).message}`);
  process.exit(1);
}
console.log(
  `gateway: ${app.url}/v1/ask  (health ${app.url}/healthz, metrics ${app.url}/metrics, dashboard ${app.url}/admin/queues)`,
);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) process.exit(1);
  stopping = true;
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
