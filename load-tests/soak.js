// Soak: a steady arrival rate for a long time (DURATION, default 30m): memory, connections and latency must stay flat.
import { ask, question, thresholds } from './lib/rag.js';

export const options = {
  scenarios: {
    steady: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 50),
      timeUnit: '1s',
      duration: __ENV.DURATION || '30m',
      preAllocatedVUs: Number(__ENV.PRE_VUS || 50),
      maxVUs: Number(__ENV.MAX_VUS || 500),
    },
  },
  thresholds: thresholds(Number(__ENV.P95_MS || 2000)),
};

export default function () {
  ask(question(__VU * 31 + __ITER), 'longpoll');
}
