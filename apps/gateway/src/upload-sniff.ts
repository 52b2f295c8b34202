import { detectFormat, isExtractError } from '@rag/extract';

/** The bytes of an upload's start that are judged (what detectFormat reads for magic numbers). */
export const SNIFF_BYTES = 64 * 1024;

/**
 * Refuses at upload what no extractor reads, by content rather than by name: an executable named `.pdf` gets 415
 * at once instead of a queued job that fails later. Judged on the upload's first bytes only (it streams), so a
 * ZIP passes here (DOCX is told from other ZIPs by its directory, at the end of the file) and so does anything
 * readable whose content turns out broken, empty or without text: those documents end `failed` with the reason.
 * Returns why the upload cannot be read, or null.
 */
export async function unreadableReason(head: Buffer, fileName: string): Promise<string | null> {
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0304) return null; // ZIP: maybe DOCX
  try {
    await detectFormat(head, fileName);
    return null;
  } catch (err) {
    if (isExtractError(err) && err.code === 'unsupported_type') return err.message;
    return null; // empty, corrupt: the worker records the reason
  }
}
