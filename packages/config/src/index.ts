export { loadConfig, envSchema, knownEnvNames, ConfigError, defaultConcurrency, defaultPoolMax } from './config.ts';
export type { Config, Env } from './config.ts';
