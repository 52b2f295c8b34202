// Stress: an arrival rate that keeps rising until the system breaks; thresholds abort the run at the break point.
// Four steps of STEP (1m) each, to RATE_1..RATE_4 asks per second (100, 300, 600, 1000).
import { ask, question } from './lib/rag.js';

const step = __ENV.STEP || '1m';
export const options = {
  scenarios: {
    rising: {
      executor: 'ramping-arrival-rate',
      startRate: Number(__ENV.START_RATE || 10),
      timeUnit: '1s',
      preAllocatedVUs: Number(__ENV.PRE_VUS || 100),
      maxVUs: Number(__ENV.MAX_VUS || 2000),
      stages: [
        { duration: step, target: Number(__ENV.RATE_1 || 100) },
        { duration: step, target: Number(__ENV.RATE_2 || 300) },
        { duration: step, target: Number(__ENV.RATE_3 || 600) },
        { duration: step, target: Number(__ENV.RATE_4 || 1000) },
      ],
    },
  },
  thresholds: {
    rag_completed: [{ threshold: 'rate>0.95', abortOnFail: true, delayAbortEval: '20s' }],
    rag_e2e_ms: [{ threshold: 'p(95)<5000', abortOnFail: true, delayAbortEval: '20s' }],
  },
};

export default function () {
  ask(question(__VU * 104729 + __ITER), 'wait');
}
