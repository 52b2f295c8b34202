import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Router } from 'express';

export const ADMIN_PATH = '/admin/queues';

/** Bull Board over the ask queue (the caller puts basic auth in front of it). */
export function bullBoardRouter(queue: Queue, readOnly: boolean): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(ADMIN_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queue as never, { readOnlyMode: readOnly })],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'RAG asks' } },
  });
  return serverAdapter.getRouter() as Router;
}
