import type { AskView as ContractView, Citation as ContractCitation } from '@rag/contract';

/**
 * The shapes the page reads: the contract's own types (type-only imports, nothing of zod is bundled), plus the
 * fields the page shows as soon as the gateway sends them (citation pages, `answerable`).
 */
export type { AskStatus } from '@rag/contract';
export type Citation = ContractCitation & { page?: number };
export type AskResult = NonNullable<ContractView['result']> & { answerable?: boolean; citations: Citation[] };
export type AskView = Omit<ContractView, 'result'> & { result?: AskResult; statusUrl?: string };

export const isTerminal = (status: string) => status === 'completed' || status === 'failed' || status === 'cancelled';

/** GET /v1/documents/{id} (CONTRACT.md, "Documents over HTTP"). */
export interface DocumentView {
  id: string;
  documentId: string;
  collection: string;
  title?: string;
  status: 'queued' | 'processing' | 'ready' | 'failed';
  chunks?: number;
  pages?: number;
  error?: { code: string; message: string };
  updatedAt?: string;
}
