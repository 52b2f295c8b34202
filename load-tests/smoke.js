// Smoke: one user, a few asks, every way of collecting an answer. Run first against any deployment.
import { check } from 'k6';
import http from 'k6/http';
import { ask, BASE_URL, question, thresholds } from './lib/rag.js';

export const options = {
  vus: 1,
  iterations: Number(__ENV.ITERATIONS || 3),
  thresholds: thresholds(Number(__ENV.P95_MS || 5000)),
};

export function setup() {
  const res = http.get(`${BASE_URL}/readyz`);
  check(res, { 'gateway ready': (r) => r.status === 200 });
}

export default function () {
  const styles = ['wait', 'poll', 'longpoll'];
  ask(question(__ITER), styles[__ITER % styles.length]);
}
