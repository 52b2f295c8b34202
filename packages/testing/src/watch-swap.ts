import assert from 'node:assert/strict';
import pg from 'pg';

/**
 * Runs `during` (which replaces a document) while reading the document's chunks over a connection of its own, again
 * and again: every read must see only the old version's chunks or only the new one's (told apart by a word only the
 * old or only the new text contains), never a mix and never none. Resolves with `during`'s result and which
 * versions the reads saw; rejects with the first read that broke the rule.
 */
export async function watchSwap<T>(
  databaseUrl: string,
  documentKey: string,
  words: { old: string; new: string },
  during: () => Promise<T>,
): Promise<{ result: T; seen: Set<'old' | 'new'> }> {
  const reader = new pg.Client({ connectionString: databaseUrl });
  await reader.connect();
  const seen = new Set<'old' | 'new'>();
  let reading = true;
  const readLoop = (async () => {
    while (reading) {
      const r = await reader.query<{ old: number; new: number }>(
        `SELECT count(*) FILTER (WHERE content LIKE '%' || $2 || '%')::int AS old,
                count(*) FILTER (WHERE content LIKE '%' || $3 || '%')::int AS new
         FROM chunks WHERE document_id = $1`,
        [documentKey, words.old, words.new],
      );
      const { old, new: fresh } = r.rows[0];
      assert.ok(old === 0 || fresh === 0, `mixed read: ${old} old and ${fresh} new chunks`);
      assert.ok(old + fresh > 0, 'the document never disappears mid-replacement');
      seen.add(old > 0 ? 'old' : 'new');
    }
  })();
  // A broken rule stops the reads at once; it is reported once `during` has ended (not as an unhandled rejection).
  readLoop.catch(() => {});
  try {
    const result = await during();
    return { result, seen };
  } finally {
    reading = false;
    await readLoop.finally(() => reader.end());
  }
}
