import { state } from './state.mjs';

export function check(value, checks) {
  let all = true;
  for (const [name, fn] of Object.entries(checks)) {
    let ok = false;
    try {
      ok = Boolean(fn(value));
    } catch {
      ok = false;
    }
    const c = (state.checks[name] ??= { passes: 0, fails: 0 });
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
