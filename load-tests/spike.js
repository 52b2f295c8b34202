// Spike: quiet, then a sudden jump to many users, then quiet again. Admission control should answer the excess
// with 429 + Retry-After at once while every accepted ask completes.
// BASE=10 users while quiet (QUIET=20s before and after), PEAK=400 users for SPIKE=30s, reached and left in RISE=5s.
import { ask, question } from './lib/rag.js';

const base = Number(__ENV.BASE || 10);
const peak = Number(__ENV.PEAK || 400);
const quiet = __ENV.QUIET || '20s';
const rise = __ENV.RISE || '5s';
export const options = {
  stages: [
    { duration: quiet, target: base },
    { duration: rise, target: peak },
    { duration: __ENV.SPIKE || '30s', target: peak },
    { duration: rise, target: base },
    { duration: quiet, target: base },
  ],
  thresholds: {
    http_req_failed: ['rate<0.05'],
    rag_completed: ['rate>0.90'],
    'http_req_duration{name:submit}': [`p(99)<${__ENV.SUBMIT_P99_MS || 1000}`],
  },
};

export default function () {
  ask(question(__VU * 7919 + __ITER), 'wait');
}
