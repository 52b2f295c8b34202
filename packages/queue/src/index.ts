export { ASK_QUEUE, ASK_JOB, askJobSchema, askJobOptions } from './ask-job.ts';
export type { AskJobData } from './ask-job.ts';
export { formatFailure, parseFailure } from './ask-failure.ts';
export { redisKeys } from './keys.ts';
export type { RedisKeys } from './keys.ts';
export { jobToView, readAsk, completedView } from './read-ask.ts';
export { createRedis, closeRedis, isCluster, waitForRedis } from './redis.ts';
export type { Redis, RedisTarget } from './redis.ts';
export { ReplicaAcks } from './replica-ack.ts';
export { AskEvents } from './ask-events.ts';
export type { Waiter, Completion } from './ask-events.ts';
export { AnswerCache, publishCorpusVersion, seedCorpusVersion } from './answer-cache.ts';
export { SingleFlight } from './single-flight.ts';
export { startHeartbeat, liveWorkers } from './heartbeat.ts';
export type { StageFigures, WorkerFigures, WorkerHeartbeat } from './heartbeat.ts';
export {
  WEBHOOK_QUEUE,
  WEBHOOK_JOB,
  WEBHOOK_FALLBACK_GRACE_MS,
  webhookJobSchema,
  webhookJobOptions,
  webhookRetrySpan,
} from './webhook-job.ts';
export type { WebhookJobData } from './webhook-job.ts';
export {
  STREAM_START,
  TERMINAL_EVENTS,
  appendArgs,
  compareStreamIds,
  endAskStream,
  isStreamId,
  parseEntries,
  readStream,
} from './ask-stream.ts';
export type { AskEventName, AskStreamEntry } from './ask-stream.ts';
export { WATCH_TTL_MS, isAskWatched, markAskWatched } from './ask-watch.ts';
export { AskStreamWriter, FlushClock } from './ask-stream-writer.ts';
export { AskStreamReader } from './ask-stream-reader.ts';
export { INGEST_QUEUE, INGEST_JOB, ingestJobSchema, ingestJobId, ingestJobOptions } from './ingest-job.ts';
export type { IngestJobData, IngestJobResult } from './ingest-job.ts';
