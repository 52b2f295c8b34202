export {
  loadConfig,
  knownEnvNames,
  ConfigError,
  DEFAULT_METRICS_PORT,
} from './config.ts';
export type { ApiKeyGrant, Config } from './config.ts';
