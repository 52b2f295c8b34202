// Stress: an arrival rate that keeps rising until the system breaks; thresholds abort the run at the break point.
import { ask, pick } from './lib/rag.js';

export const options = {
  scenarios: {
    rising: {
      executor: 'ramping-arrival-rate',
      startRate: Number(__ENV.START_RATE || 10),
      timeUnit: '1s',
      preAllocatedVUs: 100,
      maxVUs: Number(__ENV.MAX_VUS || 2000),
      stages: [
        { duration: '1m', target: Number(__ENV.RATE_1 || 100) },
        { duration: '1m', target: Number(__ENV.RATE_2 || 300) },
        { duration: '1m', target: Number(__ENV.RATE_3 || 600) },
        { duration: '1m', target: Number(__ENV.RATE_4 || 1000) },
      ],
    },
  },
  thresholds: {
    rag_completed: [{ threshold: 'rate>0.95', abortOnFail: true, delayAbortEval: '20s' }],
    rag_e2e_ms: [{ threshold: 'p(95)<5000', abortOnFail: true, delayAbortEval: '20s' }],
  },
};

export default function () {
  ask(pick(__VU * 104729 + __ITER), 'wait');
}
