import type { ExtractErrorCode } from '../errors.ts';
import type { ExtractedDocument, ExtractLimits } from '../types.ts';

/** Parent -> child: one document. */
export interface ChildRequest {
  bytes: Uint8Array;
  options: { filename?: string } & Partial<ExtractLimits>;
}

/** Child -> parent: the document or a typed error, and the child's peak resident memory. */
export type ChildReply =
  | { ok: true; doc: ExtractedDocument; maxRssBytes: number }
  | { ok: false; code: ExtractErrorCode; message: string; maxRssBytes: number };
