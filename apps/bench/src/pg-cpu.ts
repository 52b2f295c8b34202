import { backendPids, type Pool } from '@rag/db';
import { processUsage } from '@rag/testing';

/**
 * Opens all `connections` of a pool (whose connections carry `applicationName`), finds their PostgreSQL server
 * processes, and returns a reader of their CPU seconds so far: the database's share of what the pool runs.
 */
export async function poolServerCpu(
  pool: Pool,
  applicationName: string,
  connections: number,
): Promise<() => Promise<number>> {
  const held = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
  for (const c of held) c.release();
  const backends = await backendPids(pool, applicationName);
  return async () =>
    (await Promise.all(backends.map((pid) => processUsage(pid)))).reduce((s, u) => s + (u?.cpuSeconds ?? 0), 0);
}
