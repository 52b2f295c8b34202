import { Cluster } from 'ioredis';
import type { Redis } from './redis.ts';

/**
 * Redis `WAIT`: blocks until `replicas` replicas have every write this connection sent to the primary, or
 * `timeoutMs` passed; resolves with how many did. Redis replication is asynchronous, so without this a primary that
 * dies right after replying can take an acknowledged write with it; with it, a write is on a replica before the
 * client hears of it (it can still be lost if that replica dies too, or is not the one promoted).
 *
 * WAIT takes no key: on a cluster it must go to the primary that holds `anyKey`'s slot (every key of a deployment
 * shares the prefix's slot), over the same node connection the writes went through.
 */
async function waitForReplicas(redis: Redis, anyKey: string, replicas: number, timeoutMs: number) {
  if (replicas <= 0) return 0;
  const r = redis as unknown;
  if (r instanceof Cluster) {
    const primary = r.slots[await slotOf(r, anyKey)]?.[0];
    const node = r.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === primary);
    // The slot map may still name the primary that just died (a failover in progress): no acknowledgement, and a
    // fresh map for the next ask (ioredis refreshes it on its own only on redirections, which WAIT never gets).
    const stale = () => {
      r.refreshSlotsCache();
      return 0;
    };
    if (!node) return stale();
    return (await node.wait(replicas, timeoutMs).catch(stale)) as number;
  }
  return (await redis.wait(replicas, timeoutMs)) as number;
}

/**
 * Replica acknowledgements for writes made on other connections, over a connection of its own: a WAIT blocks the
 * connection it is sent on for up to `timeoutMs`, and on the shared request-path connection every command queued
 * behind it waited too, and timed out (HTTP 500s during a failover). A WAIT here follows a write of its own to a
 * probe key in the deployment's slot: the primary's replication stream is ordered, so once a replica has that
 * write it has every write the primary acknowledged before it (the caller's, made on another connection).
 *
 * Callers arriving while a WAIT is under way share the next one (their writes may have come after the one under
 * way was sent); so at most two WAITs are ever queued on the connection. Never throws: a WAIT that fails (timeout,
 * connection lost, the slot's primary gone) counts as no acknowledgement.
 */
export class ReplicaAcks {
  private readonly connection: Redis;
  private readonly probeKey: string;
  private readonly replicas: number;
  private readonly timeoutMs: number;
  private running?: Promise<number>;
  private next?: Promise<number>;

  constructor(connection: Redis, opts: { probeKey: string; replicas: number; timeoutMs: number }) {
    this.connection = connection;
    this.probeKey = opts.probeKey;
    this.replicas = opts.replicas;
    this.timeoutMs = opts.timeoutMs;
  }

  /** How many replicas hold every write the primary acknowledged before this call (up to `replicas`). */
  confirm(): Promise<number> {
    if (!this.running) {
      this.running = this.once().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.next ??= this.running.then(() => {
      this.next = undefined;
      return this.confirm();
    });
    return this.next;
  }

  private async once(): Promise<number> {
    try {
      await this.connection.set(this.probeKey, String(Date.now()), 'PX', 60_000);
      return await waitForReplicas(this.connection, this.probeKey, this.replicas, this.timeoutMs);
    } catch {
      return 0;
    }
  }
}

/** A key's slot, asked of the cluster once per key (the deployment passes one constant key). */
const slots = new Map<string, number>();
async function slotOf(cluster: Cluster, key: string): Promise<number> {
  let slot = slots.get(key);
  if (slot === undefined) {
    slot = (await cluster.cluster('KEYSLOT', key)) as number;
    slots.set(key, slot);
  }
  return slot;
}
