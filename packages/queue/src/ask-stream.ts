import type { Redis } from 'ioredis';
import type { AskView } from '@rag/contract';
import type { RedisKeys } from './keys.ts';

/**
 * One Redis Stream per ask holds what a client watching it sees (CONTRACT.md "Streaming"): the worker appends
 * `status` (an attempt starts), `citations` (before generation), `token` (a batch of answer text) and, once the job
 * is final, exactly one terminal event whose data is the ask's view as GET /v1/ask/:id returns it. The entry id is
 * the SSE event id, so resuming after `Last-Event-ID` is `XRANGE key (id +`.
 *
 * Entry fields: `e` event name, `d` the event's JSON data (sent to clients as is), `a` the attempt that wrote it.
 *
 * Retries: a new attempt (BullMQ retry, or a stalled job run again) appends `status` and `citations` again and
 * streams its own tokens. A `citations` event therefore restarts the answer: the tokens after the last
 * `citations` concatenate to the final answer. Readers drop entries of an attempt older than one they have seen
 * (a worker that lost its lock and still writes), and stop at the first terminal event.
 */
export type AskEventName = 'status' | 'citations' | 'token' | 'completed' | 'failed' | 'cancelled';

export interface AskStreamEntry {
  /** Stream entry id (`<ms>-<seq>`), the SSE event id. */
  id: string;
  event: AskEventName;
  /** JSON text of the event's data. */
  data: string;
  /** Attempt that wrote it (0: written by a gateway). */
  attempt: number;
}

export const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** Entries an ask's stream keeps at most (approximately): a bound against a runaway answer, far above a real one. */
const STREAM_MAX_ENTRIES = 4096;

/** The id before every entry: a reader starting from it replays the whole stream. */
export const STREAM_START = '0-0';

const ENTRY_ID = /^(\d{1,20})-(\d{1,20})$/;

export const isStreamId = (s: string) => ENTRY_ID.test(s);

/** Orders two stream ids (`<ms>-<seq>`): negative when a comes first. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  if (am.length !== bm.length) return am.length - bm.length;
  if (am !== bm) return am < bm ? -1 : 1;
  if (as.length !== bs.length) return as.length - bs.length;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/** Parses XRANGE/XREAD entries; entries without a known event name are skipped. */
export function parseEntries(raw: [string, string[]][] | null | undefined): AskStreamEntry[] {
  const out: AskStreamEntry[] = [];
  for (const [id, fields] of raw ?? []) {
    let event: string | undefined;
    let data = 'null';
    let attempt = 0;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const f = fields[i];
      if (f === 'e') event = fields[i + 1];
      else if (f === 'd') data = fields[i + 1];
      else if (f === 'a') attempt = Number(fields[i + 1]) || 0;
    }
    if (event) out.push({ id, event: event as AskEventName, data, attempt });
  }
  return out;
}

/**
 * The entries after `from` (STREAM_START: all), at most STREAM_MAX_ENTRIES; with `inclusive`, the entry `from`
 * itself too (a resuming reader learns the attempt of the last entry it saw).
 */
export async function readStream(
  redis: Redis,
  key: string,
  from: string,
  inclusive = false,
): Promise<AskStreamEntry[]> {
  const start = from === STREAM_START ? '-' : inclusive ? from : `(${from}`;
  return parseEntries(await redis.xrange(key, start, '+', 'COUNT', STREAM_MAX_ENTRIES));
}

/** Appends one event (XADD with an approximate MAXLEN, the cheap trim). The caller sets the TTL. */
export function appendArgs(event: AskEventName, data: string, attempt: number): (string | number)[] {
  return ['MAXLEN', '~', STREAM_MAX_ENTRIES, '*', 'e', event, 'd', data, 'a', attempt];
}

/**
 * Appends an ask's terminal event unless one was appended before (the end key, set in the same script, says so),
 * then sets the TTL of both keys. When the stream is empty and prelude events are given, they go first: an ask
 * answered without a worker (from the cache) then streams its citations and answer like any other.
 *
 * KEYS[1] stream, KEYS[2] end key.
 * ARGV[1] terminal event name, ARGV[2] its JSON data, ARGV[3] TTL ms, ARGV[4] MAXLEN,
 * ARGV[5..] pairs of (event name, JSON data) to append first when the stream is empty.
 * Returns the terminal entry's id, or false when the stream already had its terminal event.
 */
const APPEND_TERMINAL = `
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) == false then return false end
if redis.call('XLEN', KEYS[1]) == 0 then
  for i = 5, #ARGV, 2 do
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'e', ARGV[i], 'd', ARGV[i + 1], 'a', '0')
  end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'e', ARGV[1], 'd', ARGV[2], 'a', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return id
`;

type WithTerminal = Redis & {
  appendAskTerminal(stream: string, end: string, ...args: (string | number)[]): Promise<string | null>;
};

function withTerminal(redis: Redis): WithTerminal {
  const r = redis as WithTerminal;
  if (typeof r.appendAskTerminal !== 'function')
    redis.defineCommand('appendAskTerminal', { numberOfKeys: 2, lua: APPEND_TERMINAL });
  return r;
}

/** The terminal event of a finished ask's view (completed, failed or cancelled). */
function terminalEvent(view: AskView): AskEventName {
  return view.status === 'completed' ? 'completed' : view.status === 'cancelled' ? 'cancelled' : 'failed';
}

/**
 * Ends an ask's stream with its terminal event (the same JSON as GET /v1/ask/:id), once: later calls, from the
 * worker, another gateway or a retry, change nothing. A completed ask whose stream is empty (answered from the
 * cache, or its stream expired) gets its citations and whole answer first. Returns whether this call ended it.
 */
export async function endAskStream(redis: Redis, keys: RedisKeys, view: AskView, ttlS: number): Promise<boolean> {
  const prelude: string[] = [];
  if (view.status === 'completed' && view.result) {
    prelude.push('citations', JSON.stringify(view.result.citations));
    if (view.result.answer) prelude.push('token', JSON.stringify({ text: view.result.answer }));
  }
  const id = await withTerminal(redis).appendAskTerminal(
    keys.events(view.id),
    keys.eventsEnd(view.id),
    terminalEvent(view),
    JSON.stringify(view),
    Math.max(1, ttlS) * 1000,
    STREAM_MAX_ENTRIES,
    ...prelude,
  );
  return id !== null;
}
