export { createTestDatabase, adminUrl } from './test-database.ts';
export type { TestDatabase } from './test-database.ts';
export {
  startTestStack,
  testConfig,
  testLogger,
  uniquePrefix,
  deletePrefix,
  ingestInto,
  api,
  REDIS_URL,
} from './test-stack.ts';
export type { TestStack } from './test-stack.ts';
export { SlowGenerator } from './slow-generator.ts';
export { startProcess, gatewayUrl, processUsage, ROOT } from './processes.ts';
export type { Proc } from './processes.ts';
export { startOwnRedis, freePort } from './own-redis.ts';
export type { OwnRedis } from './own-redis.ts';
export { mulberry32 } from '@rag/llm-stub';
