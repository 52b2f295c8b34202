export {
  loadConfig,
  envSchema,
  knownEnvNames,
  ConfigError,
  defaultConcurrency,
  defaultPoolMax,
  DEFAULT_METRICS_PORT,
} from './config.ts';
export type { ApiKeyGrant, Config, Env } from './config.ts';
