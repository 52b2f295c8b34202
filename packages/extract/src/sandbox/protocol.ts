import type { ExtractErrorCode } from '../errors.ts';
import type { ExtractedDocument, ExtractLimits } from '../types.ts';

/** Parent -> child: one document. A child parses one at a time. */
export interface ChildRequest {
  id: number;
  bytes: Uint8Array;
  options: { filename?: string } & Partial<ExtractLimits>;
}

/** Child -> parent: the document or a typed error, and the child's resident memory once done. */
export type ChildReply =
  | { id: number; ok: true; doc: ExtractedDocument; rssBytes: number }
  | { id: number; ok: false; code: ExtractErrorCode; message: string; rssBytes: number };
