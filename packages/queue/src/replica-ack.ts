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
export async function waitForReplicas(redis: Redis, anyKey: string, replicas: number, timeoutMs: number) {
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
