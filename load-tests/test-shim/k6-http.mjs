import { Worker } from 'node:worker_threads';
import { state } from './state.mjs';

const worker = new Worker(new URL('./fetch-worker.mjs', import.meta.url));
worker.unref();
const shared = new SharedArrayBuffer(8 + 8 * 1024 * 1024);
const flag = new Int32Array(shared, 0, 2);
const bytes = new Uint8Array(shared, 8);

/** A synchronous request: the fetch runs in a worker thread while this thread waits on an Atomics cell. */
export function request(method, url, body, params) {
  state.requests++;
  Atomics.store(flag, 0, 0);
  const headers = { ...(params?.headers ?? {}) };
  worker.postMessage({ req: { method, url, body: body ?? null, headers }, shared });
  if (Atomics.wait(flag, 0, 0, 120_000) === 'timed-out') throw new Error(`k6 shim: ${method} ${url} timed out`);
  const out = JSON.parse(new TextDecoder().decode(bytes.slice(0, Atomics.load(flag, 1))));
  return {
    status: out.status,
    body: out.body,
    headers: out.headers,
    error: out.error ?? '',
    timings: { duration: out.duration },
    json(selector) {
      const v = JSON.parse(out.body);
      return selector ? selector.split('.').reduce((o, k) => o?.[k], v) : v;
    },
  };
}

export const get = (url, params) => request('GET', url, null, params);
export const post = (url, body, params) => request('POST', url, body, params);
export const del = (url, body, params) => request('DELETE', url, body, params);
export default { request, get, post, del };
