// Load: a steady load of the size the environment gives, ramped up, held, ramped down.
//   VUS=50 (virtual users, each asking in a loop with THINK_S between asks), or RATE=20 (asks started per second,
//   an open model: arrivals do not wait for answers; MAX_VUS caps the users that takes), RAMP=30s, HOLD=2m.
//   VARIANT=poll | longpoll | both (both: two scenarios side by side, each of that size).
//   CACHE_MIX=0 (default): every question is unique, so rag_e2e_ms is the pipeline's latency, not the cache's;
//   CACHE_MIX=0.9: 90% of asks repeat a question of the set (80 questions), a cache-heavy mix (see lib/rag.js).
import { sleep } from 'k6';
import { ask, question, thresholds } from './lib/rag.js';

const variant = __ENV.VARIANT || 'both';
const ramp = __ENV.RAMP || '30s';
const hold = __ENV.HOLD || '2m';
const rate = Number(__ENV.RATE || 0);
const vus = Number(__ENV.VUS || 50);

function scenario(exec) {
  if (rate > 0) {
    return {
      executor: 'ramping-arrival-rate',
      exec,
      startRate: 0,
      timeUnit: '1s',
      preAllocatedVUs: Math.max(1, Math.ceil(rate * 2)),
      maxVUs: Number(__ENV.MAX_VUS || Math.max(10, rate * 20)),
      stages: [
        { duration: ramp, target: rate },
        { duration: hold, target: rate },
      ],
    };
  }
  return {
    executor: 'ramping-vus',
    exec,
    startVUs: 0,
    stages: [
      { duration: ramp, target: vus },
      { duration: hold, target: vus },
      { duration: __ENV.RAMP_DOWN || '10s', target: 0 },
    ],
    gracefulRampDown: '30s',
  };
}

const scenarios = {};
if (variant === 'poll' || variant === 'both') scenarios.submit_then_poll = scenario('pollUser');
if (variant === 'longpoll' || variant === 'both') scenarios.submit_then_long_poll = scenario('longPollUser');

export const options = { scenarios, thresholds: thresholds(Number(__ENV.P95_MS || 2000)) };

// Closed model only: a user thinks between asks. Arrival-rate scenarios start asks on their own clock.
const think = () => rate > 0 || sleep(Number(__ENV.THINK_S || 0.5));

export function pollUser() {
  ask(question(__VU * 1000 + __ITER), 'poll');
  think();
}

export function longPollUser() {
  ask(question(__VU * 1000 + __ITER), 'longpoll');
  think();
}

export default pollUser;
