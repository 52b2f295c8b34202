import type { Redis } from 'ioredis';

type Command = [name: string, ...args: (string | number)[]];

interface Pending {
  command: Command;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * Sends the commands made in one callback as one pipeline: one socket write (and one read for Redis) instead of one
 * per command. A worker streaming hundreds of answers makes thousands of small XADDs a second; a socket write per
 * XADD (a system call, and on loopback the receiver's TCP work too) cost more than the XADDs. The answers' token
 * writes are due at the same ticks of a shared clock (AskStreamWriter), so they are made in one timer callback and
 * leave together. The pipeline goes out in a microtask, when the callback returns: a command waits for nothing
 * else (batching across callbacks, in `setImmediate`, made the first events of an answer wait for the rest of a
 * busy event-loop turn, up to tens of ms).
 *
 * Order: commands go out in the order they were made, on the one connection, so they are applied in that order.
 * A command sent on the connection directly (not through the batch) may overtake batched ones made in the same
 * callback: await a batched command's promise before sending one that must come after it.
 *
 * On a Redis Cluster, a pipeline must stay within one slot: every key the project writes carries the deployment's
 * hash tag (createRedis), so the ask streams' commands always do.
 */
export class CommandBatch {
  private pending: Pending[] = [];
  private scheduled = false;
  /** Pipelines sent (the tests and the benchmark count them). */
  pipelines = 0;
  /** Commands sent. */
  commands = 0;

  private readonly redis: Redis;

  constructor(redis: Redis) {
    this.redis = redis;
  }

  /** Queues one command for this callback's pipeline; resolves with its reply, rejects with its error. */
  send(...command: Command): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ command, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.pipelines++;
    this.commands += batch.length;
    // In a microtask nothing would catch a throw: every failure becomes the batch's rejection.
    let exec: Promise<[Error | null, unknown][] | null>;
    try {
      if (batch.length === 1) {
        const [{ command, resolve, reject }] = batch;
        this.redis.call(...command).then(resolve, reject);
        return;
      }
      const pipeline = this.redis.pipeline();
      for (const { command } of batch) pipeline.call(...command);
      exec = pipeline.exec();
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
      return;
    }
    exec.then(
      (replies) => {
        for (const [i, p] of batch.entries()) {
          const [err, reply] = replies?.[i] ?? [new Error('no reply in the pipeline'), undefined];
          if (err) p.reject(err);
          else p.resolve(reply);
        }
      },
      (err: Error) => {
        for (const p of batch) p.reject(err);
      },
    );
  }
}

const batches = new WeakMap<Redis, CommandBatch>();

/** The one batch of a connection: every writer on it shares its pipelines. */
export function commandBatch(redis: Redis): CommandBatch {
  let b = batches.get(redis);
  if (!b) {
    b = new CommandBatch(redis);
    batches.set(redis, b);
  }
  return b;
}
