import http from 'node:http';
import type { Pool } from '@rag/db';
import type { Metrics } from '@rag/observability';

/** The worker's /metrics (Prometheus) and /healthz; pool gauges are sampled at each scrape. */
export function metricsServer(d: { id: string; metrics: Metrics; pool: Pool; running: () => boolean }): http.Server {
  const sampleGauges = () => {
    d.metrics.pgPool.set({ state: 'total' }, d.pool.totalCount);
    d.metrics.pgPool.set({ state: 'idle' }, d.pool.idleCount);
    d.metrics.pgPool.set({ state: 'waiting' }, d.pool.waitingCount);
  };
  return http.createServer(async (req, res) => {
    if (req.url === '/metrics') {
      sampleGauges();
      res.setHeader('content-type', d.metrics.registry.contentType);
      res.end(await d.metrics.registry.metrics());
    } else if (req.url === '/healthz') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', worker: d.id, running: d.running() }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
}

/** Closes the server and every connection still open to it (a scraper's keep-alive). */
export async function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
