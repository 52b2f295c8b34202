import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Buckets from 1 ms to 60 s: cache hits land in the first ones, LLM-bound asks in the last ones.
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10, 30, 60];

/**
 * Every metric of the project, on a registry of its own (one per process, so tests can build several).
 * Gauges that mirror external state (queue depth, pool figures) are filled by `collect` callbacks the owner sets.
 */
export function createMetrics(opts: { service: string; defaultMetrics?: boolean }) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpDuration: new Histogram({
      name: 'rag_http_request_duration_seconds',
      help: 'HTTP request duration by route, method and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    asksSubmitted: new Counter({
      name: 'rag_asks_submitted_total',
      help: 'Asks accepted by the gateway, by how they were served (queued, cached, coalesced, idempotent)',
      labelNames: ['served'] as const,
      registers,
    }),
    asksRefused: new Counter({
      name: 'rag_asks_refused_total',
      help: 'Asks refused by admission control or rate limits, by error code',
      labelNames: ['code'] as const,
      registers,
    }),
    asksFinished: new Counter({
      name: 'rag_asks_finished_total',
      help: 'Asks finished by a worker, by outcome (completed, failed, cancelled) and error code',
      labelNames: ['outcome', 'code'] as const,
      registers,
    }),
    askDuration: new Histogram({
      name: 'rag_ask_duration_seconds',
      help: 'End-to-end ask duration from submission to terminal state',
      labelNames: ['outcome'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    stageDuration: new Histogram({
      name: 'rag_stage_duration_seconds',
      help: 'Per-stage duration of asks: queue_wait, embedding, pool_wait (for a database connection, part of retrieval), retrieval, generation, total',
      labelNames: ['stage'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    cacheRequests: new Counter({
      name: 'rag_cache_requests_total',
      help: 'Answer and embedding cache look-ups by cache and result (hit, miss)',
      labelNames: ['cache', 'result'] as const,
      registers,
    }),
    queueJobs: new Gauge({
      name: 'rag_queue_jobs',
      help: 'Jobs in the ask queue by state',
      labelNames: ['state'] as const,
      registers,
    }),
    pgPool: new Gauge({
      name: 'rag_pg_pool_connections',
      help: 'pg pool connections by state (total, idle, waiting = clients queued for a connection)',
      labelNames: ['state'] as const,
      registers,
    }),
    slotsInUse: new Gauge({
      name: 'rag_worker_slots_in_use',
      help: 'Asks this worker is running now',
      registers,
    }),
    slotsTotal: new Gauge({
      name: 'rag_worker_slots_total',
      help: 'WORKER_CONCURRENCY of this worker',
      registers,
    }),
    llmTokens: new Counter({
      name: 'rag_llm_tokens_total',
      help: 'LLM tokens by kind (prompt, completion)',
      labelNames: ['kind'] as const,
      registers,
    }),
    replicaReads: new Counter({
      name: 'rag_replica_reads_total',
      help: 'Retrievals with DATABASE_READ_URL set, by the server read (replica, primary) and why: fresh (the replica has the corpus version), caught_up (after waiting for it), lagging (wait ran out), unreachable (the replica could not be asked), unknown (no corpus version in Redis)',
      labelNames: ['server', 'reason'] as const,
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'rag_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome (delivered, http_status, refused, timeout, network)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    circuitState: new Gauge({
      name: 'rag_circuit_state',
      help: 'Circuit breaker state by dependency: 0 closed, 1 half-open, 2 open',
      labelNames: ['name'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
