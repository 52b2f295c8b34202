import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  activeResources,
  assertNoLeakedHandles,
  ROOT,
  SlowGenerator,
  startOwnCluster,
  testConfig,
  testLogger,
  waitUntil,
  type LooseJson,
} from '@rag/testing';
import { startGatewayApp } from '@rag/gateway';
import { startTestStack } from '../support/test-stack.ts';

const SAMPLE = path.join(ROOT, 'data/sample');
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** One HTTP call that cannot hang the test: a 10 s bound, transport errors as status 0. */
async function call(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; json: LooseJson; ms: number; retryAfter?: string }> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    const retryAfter = res.headers.get('retry-after') ?? undefined;
    return { status: res.status, json: text ? JSON.parse(text) : undefined, ms: performance.now() - t0, retryAfter };
  } catch (err) {
    return { status: 0, json: { error: { code: (err as Error).name } }, ms: performance.now() - t0 };
  }
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10 : Number.NaN;
};

/**
 * Jepsen-style: asks submitted at a steady rate while the primary that holds the deployment's slot is killed with
 * -9; its replica is promoted. Every 202-accepted ask is then followed to a terminal state; one the service no
 * longer knows (404) is lost. Redis replicates asynchronously, so with REDIS_WAIT_REPLICAS=0 a loss is possible;
 * with 1, the gateway answers 202 only once a replica has the ask (and 503 while no replica confirms).
 */
describe('Redis Cluster failover: kill -9 the primary of the queue slot with asks in flight', () => {
  let baseline: Record<string, number>;
  before(() => {
    baseline = activeResources();
  });
  // Clients of a cluster that failed over must close too: nothing left to keep this file alive after its tests.
  after(() => assertNoLeakedHandles(baseline));
  for (const waitReplicas of [0, 1]) {
    test(`REDIS_WAIT_REPLICAS=${waitReplicas}: the replica is promoted, nothing hangs, every accepted ask is accounted for`, async (t) => {
      const cluster = await startOwnCluster({ nodeTimeoutMs: 1000 });
      const prefix = `{ragtest-${randomBytes(4).toString('hex')}}`;
      const stack = await startTestStack({
        workers: 2,
        ingest: [SAMPLE],
        generator: new SlowGenerator(200),
        prefix,
        env: {
          REDIS_CLUSTER_NODES: cluster.seeds,
          WORKER_CONCURRENCY: '8',
          CACHE_TTL_S: '0',
          REDIS_WAIT_REPLICAS: String(waitReplicas),
          REDIS_WAIT_TIMEOUT_MS: '500',
        },
      });
      try {
        const submit = (q: string) =>
          call(`${stack.url}/v1/ask`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ question: q }),
          });

        // What the option costs on a healthy cluster: POST /v1/ask latency, one at a time.
        const healthy: number[] = [];
        for (let i = 0; i < 60; i++) {
          const r = await submit(`nhà thầu liên danh warm-up ${i}`);
          assert.equal(r.status, 202, JSON.stringify(r.json));
          healthy.push(r.ms);
        }

        const { primary, replicas } = await cluster.ownerOf(`${prefix}:x`);
        assert.equal(replicas.length, 1, 'the slot has a replica');
        const submissions: { at: number; status: number; id?: string; code?: string; retryAfter?: string }[] = [];
        const t0 = Date.now();
        let killedAt = 0;
        let restartedAt = 0;
        const durationMs = 9000;
        const inflight: Promise<void>[] = [];
        for (let i = 0; Date.now() - t0 < durationMs; i++) {
          if (!killedAt && Date.now() - t0 > 1500) {
            await cluster.kill9(primary);
            killedAt = Date.now();
          }
          // The killed node comes back after 4 s and rejoins as the new primary's replica (WAIT needs one).
          if (killedAt && !restartedAt && Date.now() - killedAt > 4000) {
            restartedAt = Date.now();
            inflight.push(cluster.restart(primary));
          }
          inflight.push(
            submit(`Bảo đảm dự thầu ${i} ${randomBytes(3).toString('hex')}`).then((r) => {
              submissions.push({
                at: Date.now(),
                status: r.status,
                id: r.json?.id,
                code: r.json?.error?.code,
                retryAfter: r.retryAfter,
              });
            }),
          );
          await new Promise((r) => setTimeout(r, 40));
        }
        await Promise.all(inflight);
        // Recovery: how long after the restart until a submission is accepted again. With WAIT 1 that takes the
        // restarted node rejoining as the new primary's replica and resyncing; until then every submission is 503.
        const recovery = await waitUntil(
          async () => {
            const r = await submit(`Bảo đảm dự thầu, recovery ${randomBytes(3).toString('hex')}`);
            if (r.status !== 202) {
              assert.equal(r.status, 503, `refused while recovering: ${r.status} ${JSON.stringify(r.json)}`);
              return undefined;
            }
            submissions.push({ at: Date.now(), status: r.status, id: r.json.id });
            return r.json.id as string;
          },
          { timeoutMs: 60_000, intervalMs: 250, message: 'a submission accepted again after the failover' },
        );

        const after = await cluster.ownerOf(`${prefix}:x`);
        assert.notEqual(after.primary.port, primary.port, 'the replica was promoted');

        // Follow every accepted ask to its end (long-polls, bounded): a terminal state, or lost.
        const accepted = submissions.filter((s) => s.status === 202 || s.status === 200);
        const outcome = new Map<string, string>();
        await waitUntil(
          async () => {
            await Promise.all(
              accepted
                .filter((s) => !outcome.has(s.id!))
                .map(async (s) => {
                  const r = await call(`${stack.url}/v1/ask/${s.id}?wait=5`);
                  if (r.status === 404) outcome.set(s.id!, 'lost');
                  else if (r.status === 200 && TERMINAL.has(r.json.status))
                    outcome.set(s.id!, r.json.status === 'failed' ? `failed:${r.json.error.code}` : r.json.status);
                }),
            );
            return outcome.size === accepted.length;
          },
          { timeoutMs: 60_000, intervalMs: 200, message: 'every accepted ask terminal or lost' },
        );

        const count = (xs: string[]) => {
          const m: Record<string, number> = {};
          for (const x of xs) m[x] = (m[x] ?? 0) + 1;
          return m;
        };
        const refused = submissions.filter((s) => s.status !== 202 && s.status !== 200);
        const tally = {
          waitReplicas,
          submitted: submissions.length,
          accepted: accepted.length,
          outcomes: count([...outcome.values()]),
          refused: count(refused.map((s) => `${s.status}:${s.code}`)),
          acceptedAfterKill: accepted.filter((s) => s.at > killedAt).length,
          acceptedAfterRestart: accepted.filter((s) => s.at > restartedAt).length,
          // Relative to the kill (the restart is 4000 ms after it): the refusals' window, and when asks were
          // accepted again (the first acceptance after the last refusal).
          restartedMs: restartedAt - killedAt,
          lastRefusedMs: refused.length ? Math.max(...refused.map((s) => s.at)) - killedAt : null,
          acceptedAgainMs:
            Math.min(
              ...accepted.filter((s) => s.at > Math.max(killedAt, ...refused.map((r) => r.at))).map((s) => s.at),
            ) - killedAt,
          submitMs: { p50: percentile(healthy, 50), p95: percentile(healthy, 95) },
        };
        t.diagnostic(JSON.stringify(tally));

        // With WAIT 1 only the ~1.5 s before the kill accept (~35 submissions), then none until a replica is back.
        assert.ok(accepted.length > (waitReplicas ? 10 : 20), 'asks were accepted');
        assert.equal([...outcome.values()].filter((o) => !TERMINAL.has(o.split(':')[0]) && o !== 'lost').length, 0);
        // Refusals say why in the contract's shape: 503 unavailable (Redis not answering / not replicated), never 500.
        for (const r of refused) assert.ok(r.status === 503 || r.status === 0, `refusal ${r.status} ${r.code}`);
        for (const r of refused.filter((x) => x.status === 503)) assert.ok(r.retryAfter, 'a 503 says when to retry');
        assert.equal(outcome.get(recovery), 'completed', 'an ask submitted after the failover completes');
      } finally {
        await stack.close();
        await cluster.close();
      }
    });
  }
  test('REDIS_WAIT_REPLICAS=1 on a healthy cluster: the latency it adds, and 503 once the slot has no replica', async (t) => {
    const cluster = await startOwnCluster({ nodeTimeoutMs: 1000 });
    const prefix = `{ragtest-${randomBytes(4).toString('hex')}}`;
    const env = { REDIS_CLUSTER_NODES: cluster.seeds, CACHE_TTL_S: '0', REDIS_WAIT_TIMEOUT_MS: '300' };
    const stack = await startTestStack({ workers: 1, ingest: [SAMPLE], prefix, env });
    // A second gateway on the same deployment, acknowledging only what a replica has.
    const waiting = await startGatewayApp(
      testConfig({ ...env, DATABASE_URL: stack.db.url, QUEUE_PREFIX: prefix, REDIS_WAIT_REPLICAS: '1' }),
      { logger: testLogger() },
    );
    try {
      const submit = (base: string, q: string) =>
        call(`${base}/v1/ask`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ question: q }),
        });
      // A cluster just created may still be settling (slot maps spreading, the replica's first sync): a submission
      // then gets 503 with Retry-After, which is right. Measure once both gateways acknowledge.
      const ids: string[] = [];
      for (const base of [stack.url, waiting.url]) {
        await waitUntil(
          async () => {
            const r = await submit(base, `hồ sơ dự thầu warm-up ${ids.length}`);
            if (r.status === 202) ids.push(r.json.id);
            else assert.equal(r.status, 503, JSON.stringify(r.json));
            return r.status === 202;
          },
          { timeoutMs: 30_000, intervalMs: 250, message: 'the new cluster never acknowledged an ask' },
        );
      }
      // Interleaved, one at a time, so both see the same machine load.
      const ms: Record<'plain' | 'wait', number[]> = { plain: [], wait: [] };
      for (let i = 0; i < 100; i++) {
        for (const [kind, base] of [
          ['plain', stack.url],
          ['wait', waiting.url],
        ] as const) {
          const r = await submit(base, `hồ sơ dự thầu ${kind} ${i}`);
          assert.equal(r.status, 202, JSON.stringify(r.json));
          ms[kind].push(r.ms);
          ids.push(r.json.id);
        }
      }
      const cost = {
        plain: { p50: percentile(ms.plain, 50), p95: percentile(ms.plain, 95) },
        wait1: { p50: percentile(ms.wait, 50), p95: percentile(ms.wait, 95) },
      };
      t.diagnostic(`POST /v1/ask latency, 100 each, interleaved: ${JSON.stringify(cost)}`);
      await waitUntil(
        async () => {
          for (const id of ids) {
            const r = await call(`${stack.url}/v1/ask/${id}?wait=5`);
            if (r.json?.status !== 'completed') return false;
          }
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 200, message: 'every acknowledged ask completes' },
      );

      // Without a replica for the slot, the WAIT gateway cannot acknowledge: 503 within its timeout, never a hang.
      const { replicas } = await cluster.ownerOf(`${prefix}:x`);
      await cluster.kill9(replicas[0]);
      const refused = await submit(waiting.url, 'bảo lãnh dự thầu, no replica');
      assert.equal(refused.status, 503, JSON.stringify(refused.json));
      assert.equal(refused.json.error.code, 'unavailable');
      assert.match(refused.json.error.message, /0 of 1 Redis replicas/);
      const plain = await submit(stack.url, 'bảo lãnh dự thầu, no replica, plain');
      assert.equal(plain.status, 202, 'the default gateway still acknowledges on the primary alone');
      // Whole again before closing: BullMQ's own connections close with QUIT to every node they know.
      await cluster.restart(replicas[0]);
    } finally {
      await waiting.close();
      await stack.close();
      await cluster.close();
    }
  });
});
