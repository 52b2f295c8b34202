import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Router } from 'express';

export const ADMIN_PATH = '/admin/queues';

/** Bull Board over the project's queues: asks, document ingestion, webhook deliveries (the caller puts basic auth in front of it). */
export function bullBoardRouter(queues: Queue[], readOnly: boolean): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q as never, { readOnlyMode: readOnly })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'RAG queues' } },
  });
  return serverAdapter.getRouter() as Router;
}
