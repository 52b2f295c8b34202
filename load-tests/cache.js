// Cache: a small set of repeated questions (with case/spacing variants). Most answers should come from the cache.
import { ask, cached } from './lib/rag.js';

const SET = [
  'Bảo đảm dự thầu là gì?',
  'Chỉ định thầu được áp dụng khi nào?',
  'What is a contract performance security?',
  'Đấu thầu qua mạng',
];

export const options = {
  vus: Number(__ENV.VUS || 20),
  duration: __ENV.DURATION || '1m',
  thresholds: {
    rag_cached: [`rate>${__ENV.MIN_HIT_RATE || 0.8}`],
    'rag_e2e_ms{cached:true}': [`p(95)<${__ENV.CACHED_P95_MS || 50}`],
    rag_completed: ['rate>0.99'],
  },
};

export default function () {
  const q = SET[(__VU + __ITER) % SET.length];
  ask(__ITER % 2 ? `  ${q.toUpperCase()} ` : q, 'wait');
}

export { cached };
