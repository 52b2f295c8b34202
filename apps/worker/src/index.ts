export { startWorkerApp } from './worker-app.ts';
export type { WorkerApp, WorkerAppOptions } from './worker-app.ts';
export { createAskProcessor, SHUTDOWN_REASON } from './process-ask.ts';
