import { type ExtractOptions, ExtractorPool, type ExtractResult } from './extractor-pool.ts';

/**
 * Extracts one untrusted document in a child process started for it and gone afterwards (see ExtractorPool for
 * the bounds). Simple and fully isolated, but every call pays the process start; a service parsing many
 * documents keeps an ExtractorPool instead.
 */
export async function extractDocument(
  bytes: Uint8Array,
  opts: ExtractOptions & { maxMemoryBytes?: number } = {},
): Promise<ExtractResult> {
  const pool = new ExtractorPool({ processes: 1, documentsPerProcess: 1, maxMemoryBytes: opts.maxMemoryBytes });
  try {
    return await pool.extract(bytes, opts);
  } finally {
    await pool.close();
  }
}
