// What a run recorded: checks passed/failed, requests made, metric samples by metric name.
globalThis.__k6shim ??= { checks: {}, requests: 0, metrics: {} };
export const state = globalThis.__k6shim;
