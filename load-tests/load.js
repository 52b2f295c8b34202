// Load: ramp to 50, then 200 virtual users. VARIANT=poll | longpoll | both (default both: two scenarios side by side).
import { sleep } from 'k6';
import { ask, pick, thresholds } from './lib/rag.js';

const variant = __ENV.VARIANT || 'both';
const stages = [
  { duration: __ENV.RAMP || '30s', target: 50 },
  { duration: __ENV.HOLD || '1m', target: 50 },
  { duration: __ENV.RAMP || '30s', target: 200 },
  { duration: __ENV.HOLD || '1m', target: 200 },
  { duration: '15s', target: 0 },
];
const scenarios = {};
if (variant === 'poll' || variant === 'both')
  scenarios.submit_then_poll = { executor: 'ramping-vus', stages, exec: 'pollUser' };
if (variant === 'longpoll' || variant === 'both')
  scenarios.submit_then_long_poll = { executor: 'ramping-vus', stages, exec: 'longPollUser' };

export const options = { scenarios, thresholds: thresholds(Number(__ENV.P95_MS || 2000)) };

const think = () => sleep(Number(__ENV.THINK_S || 0.5));

export function pollUser() {
  ask(pick(__VU * 1000 + __ITER), 'poll');
  think();
}

export function longPollUser() {
  ask(pick(__VU * 1000 + __ITER), 'longpoll');
  think();
}

export default pollUser;
