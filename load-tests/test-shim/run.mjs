// Runs N iterations of a k6 script's default (or named) function and prints what was recorded as JSON.
// Usage: node --import ./load-tests/test-shim/register.mjs load-tests/test-shim/run.mjs <script.js> [iterations] [exec]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { state } from './state.mjs';

const [script, iterations = '1', exec] = process.argv.slice(2);
const mod = await import(pathToFileURL(path.resolve(script)).href);
if (!mod.options) throw new Error(`${script} exports no options`);
const fn = exec ? mod[exec] : mod.default;
if (typeof fn !== 'function') throw new Error(`${script} has no function ${exec ?? 'default'}`);
const data = typeof mod.setup === 'function' ? mod.setup() : undefined;
// As in k6, an exception ends its iteration (reported, counted) and the next iteration runs.
const iterationErrors = [];
for (let i = 0; i < Number(iterations); i++) {
  globalThis.__ITER = i;
  try {
    fn(data);
  } catch (err) {
    iterationErrors.push(String(err?.stack ?? err));
    console.error(`k6 shim: iteration ${i} ended by an exception: ${err?.stack ?? err}`);
  }
}
if (typeof mod.teardown === 'function') mod.teardown(data);
const metrics = Object.fromEntries(Object.entries(state.metrics).map(([k, v]) => [k, v.length]));
console.log(
  JSON.stringify({
    script,
    options: Object.keys(mod.options),
    requests: state.requests,
    iterationErrors,
    checks: state.checks,
    metrics,
  }),
);
process.exit(0);
