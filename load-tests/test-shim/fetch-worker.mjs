// Runs fetches for the blocked main thread: k6's http calls are synchronous, Node's fetch is not.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', async ({ req, shared }) => {
  const flag = new Int32Array(shared, 0, 2);
  const bytes = new Uint8Array(shared, 8);
  let out;
  try {
    const t0 = performance.now();
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body ?? undefined });
    const body = await res.text();
    out = { status: res.status, body, headers: Object.fromEntries(res.headers), duration: performance.now() - t0 };
  } catch (err) {
    out = { status: 0, body: '', headers: {}, error: String(err), duration: 0 };
  }
  const data = new TextEncoder().encode(JSON.stringify(out));
  const n = Math.min(data.length, bytes.length);
  bytes.set(data.subarray(0, n));
  Atomics.store(flag, 1, n);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
