export { startWorkerApp } from './worker-app.ts';
export type { WorkerApp } from './worker-app.ts';
export { sweepAbandonedUploads } from './ingest-sweep.ts';
