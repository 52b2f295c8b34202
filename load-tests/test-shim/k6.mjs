import { state } from './state.mjs';

// As in k6 (v1.3), a check function that throws counts as a failed check and the exception propagates: it ends the
// iteration, later checks do not run.
export function check(value, checks) {
  let all = true;
  for (const [name, fn] of Object.entries(checks)) {
    state.checks[name] ??= { passes: 0, fails: 0 };
    const c = state.checks[name];
    let ok;
    try {
      ok = Boolean(fn(value));
    } catch (err) {
      c.fails++;
      throw err;
    }
    if (ok) c.passes++;
    else c.fails++;
    all &&= ok;
  }
  return all;
}

// Blocks like k6's sleep, capped so the test suite stays fast.
const cell = new Int32Array(new SharedArrayBuffer(4));
export function sleep(seconds) {
  Atomics.wait(cell, 0, 0, Math.min(50, seconds * 1000));
}

export function group(_name, fn) {
  return fn();
}

export default { check, sleep, group };
