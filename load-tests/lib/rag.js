// Shared k6 helpers for the RAG gateway: submit, poll, long-poll, Prefer: wait, and the custom metrics.
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import { SharedArray } from 'k6/data';

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8000').replace(/\/$/, '');
const API_KEY = __ENV.API_KEY || '';

/** Submit to terminal state, as the client sees it. */
export const e2e = new Trend('rag_e2e_ms', true);
/** Time in the queue before a worker started the ask (result.timings.queuedMs). */
export const queueWait = new Trend('rag_queue_wait_ms', true);
export const retrieval = new Trend('rag_retrieval_ms', true);
export const generation = new Trend('rag_generation_ms', true);
/** Share of asks that completed (not failed, not refused, not lost). */
export const completed = new Rate('rag_completed');
export const cached = new Rate('rag_cached');
export const refused = new Counter('rag_refused_429');
export const failures = new Counter('rag_failed');

// k6 resolves open() against the file that calls it (this one, in lib/), not the script that was run.
export const questions = new SharedArray('questions', () => [
  ...JSON.parse(open('../data/questions-vi.json')),
  ...JSON.parse(open('../data/questions-en.json')),
]);

export function pick(i) {
  return questions[i % questions.length];
}

// CACHE_MIX (0..1, default 0): the share of asks that repeat a question of the set as is. The rest are unique (the
// question with a run id, the user and the iteration appended), so no answer comes from the cache or a coalesced
// ask and rag_e2e_ms measures the pipeline. A run id per VU process: unique across runs against one gateway.
const cacheMix = Number(__ENV.CACHE_MIX || 0);
const runId = __ENV.RUN_ID || `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** The question for ask number `i` of this user: unique, unless it falls in the CACHE_MIX share. */
export function question(i) {
  if (cacheMix > 0 && Math.random() < cacheMix) return pick(i);
  return `${pick(i)} (${runId}-${__VU}-${__ITER})`;
}

function headers(extra) {
  const h = { 'Content-Type': 'application/json' };
  if (API_KEY) h.Authorization = `Bearer ${API_KEY}`;
  return Object.assign(h, extra || {});
}

/** Records the outcome of one ask in the custom metrics. Returns true when it completed. */
export function record(view, startedMs) {
  const ok = Boolean(view && view.status === 'completed');
  completed.add(ok);
  if (ok) {
    e2e.add(Date.now() - startedMs, { cached: String(Boolean(view.result.cached)) });
    const t = view.result.timings || {};
    queueWait.add(t.queuedMs || 0);
    retrieval.add(t.retrievalMs || 0);
    generation.add(t.generationMs || 0);
    cached.add(Boolean(view.result.cached));
  } else if (view && view.status === 'failed') {
    failures.add(1, { code: view.error?.code || 'unknown' });
  }
  return ok;
}

/** POST /v1/ask. `wait` (seconds) asks the gateway to hold the request until the answer (Prefer: wait). */
export function submit(question, opts) {
  const o = opts || {};
  const body = { question };
  if (o.mode) body.mode = o.mode;
  if (o.topK) body.topK = o.topK;
  if (o.timeoutMs) body.timeoutMs = o.timeoutMs;
  const extra = o.wait ? { Prefer: `wait=${o.wait}` } : {};
  const res = http.post(`${BASE_URL}/v1/ask`, JSON.stringify(body), {
    headers: headers(extra),
    tags: { name: 'submit' },
  });
  if (res.status === 429) refused.add(1);
  check(res, { 'submit accepted (200/202)': (r) => r.status === 200 || r.status === 202 || r.status === 429 });
  return res;
}

/** GET the ask every `intervalS` until it is terminal or `maxS` passed. */
export function poll(id, intervalS, maxS) {
  const end = Date.now() + (maxS || 60) * 1000;
  for (;;) {
    const res = http.get(`${BASE_URL}/v1/ask/${id}`, { headers: headers(), tags: { name: 'poll' } });
    const view = res.json();
    if (!view || ['completed', 'failed', 'cancelled'].includes(view.status) || Date.now() > end) return view;
    sleep(intervalS || 0.25);
  }
}

/** Long-poll: GET ?wait=20, again while still queued or active. */
export function longPoll(id, maxS) {
  const end = Date.now() + (maxS || 120) * 1000;
  for (;;) {
    const res = http.get(`${BASE_URL}/v1/ask/${id}?wait=20`, { headers: headers(), tags: { name: 'long-poll' } });
    const view = res.json();
    if (!view || ['completed', 'failed', 'cancelled'].includes(view.status) || Date.now() > end) return view;
  }
}

/** One ask the given way: 'wait' (Prefer: wait), 'poll' or 'longpoll'. Returns the final view. */
export function ask(question, style, opts) {
  const started = Date.now();
  const res = submit(question, Object.assign({}, opts, style === 'wait' ? { wait: 25 } : {}));
  if (res.status === 429) return null;
  let view = res.json();
  if (view?.id && !['completed', 'failed', 'cancelled'].includes(view.status)) {
    view = style === 'poll' ? poll(view.id) : longPoll(view.id);
  }
  check(view, { 'ask completed': (v) => Boolean(v) && v.status === 'completed' });
  record(view, started);
  return view;
}

/** Thresholds shared by the scripts; `p95` is the end-to-end target in ms. */
export function thresholds(p95) {
  return {
    http_req_failed: ['rate<0.01'],
    rag_completed: ['rate>0.99'],
    rag_e2e_ms: [`p(95)<${p95}`],
  };
}
