// Spike: quiet, then a sudden jump to many users, then quiet again. Admission control should answer the excess
// with 429 + Retry-After at once while every accepted ask completes.
import { ask, pick } from './lib/rag.js';

export const options = {
  stages: [
    { duration: '20s', target: 10 },
    { duration: '5s', target: Number(__ENV.PEAK || 400) },
    { duration: '30s', target: Number(__ENV.PEAK || 400) },
    { duration: '10s', target: 10 },
    { duration: '20s', target: 10 },
  ],
  thresholds: {
    http_req_failed: ['rate<0.05'],
    rag_completed: ['rate>0.90'],
    'http_req_duration{name:submit}': ['p(99)<1000'],
  },
};

export default function () {
  ask(pick(__VU * 7919 + __ITER), 'wait');
}
