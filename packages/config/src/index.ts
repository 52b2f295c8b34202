export {
  loadConfig,
  envSchema,
  knownEnvNames,
  ConfigError,
  defaultConcurrency,
  defaultPoolMax,
} from './config.ts';
export type { ApiKeyGrant, Config, Env } from './config.ts';
