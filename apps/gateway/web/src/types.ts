import type { Citation, AskView as ContractView } from '@rag/contract';

/**
 * The shapes the page reads: the contract's own types (type-only imports, nothing of zod is bundled), plus the
 * fields the page shows as soon as the gateway sends them (`answerable`).
 */
export type { AskStatus, Citation } from '@rag/contract';
export type AskResult = NonNullable<ContractView['result']> & { answerable?: boolean; citations: Citation[] };
export type AskView = Omit<ContractView, 'result'> & { result?: AskResult; statusUrl?: string };

export const isTerminal = (status: string) => status === 'completed' || status === 'failed' || status === 'cancelled';

/** GET /v1/documents/{id} (CONTRACT.md, "Documents over HTTP"). */
export type { DocumentView } from '@rag/contract';
