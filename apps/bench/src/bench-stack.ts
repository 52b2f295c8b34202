import { execFileSync } from 'node:child_process';
import {
  createTestDatabase,
  deletePrefix,
  gatewayUrl,
  ingestInto,
  processUsage,
  REDIS_URL,
  startProcess,
  uniquePrefix,
  type Proc,
  type TestDatabase,
} from '@rag/testing';

export interface BenchStack {
  url: string;
  db: TestDatabase;
  prefix: string;
  procs: Proc[];
  stubUrl?: string;
  /** CPU (% of one core) and peak RSS of each process since `markUsage()`. */
  usage(): Promise<Record<string, { cpuPercent: number; rssMiB: number }>>;
  markUsage(): Promise<void>;
  close(): Promise<void>;
}

interface StackOptions {
  workers: number;
  env?: Record<string, string>;
  workerEnv?: Record<string, string>;
  corpus?: string[];
  /** LLM stand-in latency (env of packages/llm-stub/src/main.ts); when set, the workers use it as their LLM. */
  llm?: Record<string, string>;
  db?: TestDatabase;
}

function pids(name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A gateway, N worker processes and optionally the LLM stand-in, on a database and Redis prefix of their own. */
export async function startBenchStack(o: StackOptions): Promise<BenchStack> {
  const db = o.db ?? (await createTestDatabase());
  if (o.corpus?.length) await ingestInto(db.url, o.corpus);
  const prefix = uniquePrefix('bench');
  const procs: Proc[] = [];
  const base: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_PORT: '0',
    ...o.env,
  };
  const ready = /"msg":"(worker started|gateway listening)"|llm stub listening|listening on/i;
  let stubUrl: string | undefined;
  try {
    if (o.llm) {
      const port = String(18089 + Math.floor(Math.random() * 500));
      const stub = await startProcess(
        'llm-stub',
        'packages/llm-stub/src/main.ts',
        { LLM_STUB_PORT: port, ...o.llm },
        { readyLine: /http:\/\/127\.0\.0\.1:\d+/ },
      );
      procs.push(stub);
      stubUrl = `http://127.0.0.1:${port}/v1`;
      Object.assign(base, { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: stubUrl, OPENAI_API_KEY: 'bench' });
    }
    // Workers log "worker started" at info; start them at info and quiet afterwards is not possible, so use info.
    for (let i = 0; i < o.workers; i++) {
      procs.push(
        await startProcess(
          `worker-${i + 1}`,
          'apps/worker/src/main.ts',
          { ...base, LOG_LEVEL: 'info', ...o.workerEnv },
          { readyLine: ready },
        ),
      );
    }
    const gw = await startProcess(
      'gateway',
      'apps/gateway/src/main.ts',
      { ...base, LOG_LEVEL: 'info' },
      { readyLine: ready },
    );
    procs.push(gw);
    const url = gatewayUrl(gw);
    let marks = new Map<string, number>();
    let markedAt = performance.now();
    // This process drives the load: its CPU is part of what the two cores do, so it is reported too.
    let selfMark = process.cpuUsage();
    const system = () => [
      ...pids('redis-server').map((pid, i) => ({ name: `redis${i ? `-${i}` : ''}`, pid })),
      ...pids('postgres').map((pid) => ({ name: 'postgres', pid })),
    ];
    const all = () => [...procs.map((p) => ({ name: p.name, pid: p.pid })), ...system()];
    const markUsage = async () => {
      marks = new Map();
      for (const p of all()) {
        const u = await processUsage(p.pid);
        if (u) marks.set(`${p.name}:${p.pid}`, u.cpuSeconds);
      }
      markedAt = performance.now();
      selfMark = process.cpuUsage();
    };
    await markUsage();
    return {
      url,
      db,
      prefix,
      procs,
      stubUrl,
      markUsage,
      async usage() {
        const wall = (performance.now() - markedAt) / 1000;
        const out: Record<string, { cpuPercent: number; rssMiB: number }> = {};
        for (const p of all()) {
          const u = await processUsage(p.pid);
          const before = marks.get(`${p.name}:${p.pid}`);
          if (!u || before === undefined) continue;
          out[p.name] ??= { cpuPercent: 0, rssMiB: 0 };
          const cur = out[p.name];
          cur.cpuPercent += ((u.cpuSeconds - before) / wall) * 100;
          cur.rssMiB = p.name === 'postgres' ? cur.rssMiB + u.rssMiB : Math.max(cur.rssMiB, u.rssMiB);
        }
        const self = process.cpuUsage(selfMark);
        out['load-generator'] = {
          cpuPercent: ((self.user + self.system) / 1e6 / wall) * 100,
          rssMiB: process.memoryUsage().rss / 2 ** 20,
        };
        for (const v of Object.values(out)) {
          v.cpuPercent = Math.round(v.cpuPercent);
          v.rssMiB = Math.round(v.rssMiB);
        }
        return out;
      },
      async close() {
        await Promise.all(procs.map((p) => p.stop('SIGTERM', 15_000)));
        await deletePrefix(prefix);
        if (!o.db) await db.drop();
      },
    };
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    if (!o.db) await db.drop();
    throw err;
  }
}
