import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM (or the given signal), then SIGKILL after `graceMs`; resolves when exited. Idempotent. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

/**
 * Runs one of the project's entry points as its own process, exactly as `npm run start:*` does (Node 22 with
 * native type stripping), with the given environment on top of this one's.
 */
export function startProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  opts: { readyLine?: RegExp; timeoutMs?: number } = {},
): Promise<Proc> {
  // RAG_CHILD_NODE_ARGS lets a benchmark profile a child (e.g. --cpu-prof) without touching this process.
  const extraArgs = (process.env.RAG_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...(name.startsWith(process.env.RAG_CHILD_PROFILE ?? 'worker') ? extraArgs : []), path.join(ROOT, entry)],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, sig) => resolve(code ?? sig ?? -1)),
  );
  let stopping: Promise<number | string> | undefined;
  const proc: Proc = {
    name,
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    stop(signal = 'SIGTERM', graceMs = 30_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(timer);
        return code;
      })();
      return stopping;
    },
  };
  return new Promise((resolve, reject) => {
    const ready = opts.readyLine ?? /"msg":"(worker started|gateway listening|llm stub listening)"/;
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${opts.timeoutMs ?? 20000} ms:\n${out}`)),
      opts.timeoutMs ?? 20000,
    );
    let isReady = false;
    const onData = (buf: Buffer) => {
      out += buf.toString();
      if (out.length > 1_000_000) out = out.slice(-500_000);
      // Only until ready: scanning up to 1 MB of log per chunk afterwards would cost a benchmark's load generator
      // (this process) more CPU than the load itself.
      if (!isReady && ready.test(out)) {
        isReady = true;
        clearTimeout(timer);
        resolve(proc);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready:\n${out}`));
    });
  });
}

/** The gateway's URL from its start-up line. */
export function gatewayUrl(p: Proc): string {
  const m = /"url":"(http:\/\/[^"]+)"/.exec(p.output());
  if (!m) throw new Error(`no URL in the gateway's output:\n${p.output()}`);
  return m[1];
}

/** CPU seconds (user+system) and resident memory of a process, from /proc (Linux). */
export async function processUsage(pid: number): Promise<{ cpuSeconds: number; rssMiB: number } | undefined> {
  const fs = await import('node:fs/promises');
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuSeconds: ticks / 100, rssMiB: Math.round((rss / 1024) * 10) / 10 };
  } catch {
    return undefined;
  }
}
