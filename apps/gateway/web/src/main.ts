import { ApiError, apiFetch, apiKey, errorOf } from './api.ts';
import { AnswerView } from './answer-view.ts';
import { type AskListener, followAsk, submitAsk } from './ask-stream.ts';
import { DocumentsPanel } from './documents.ts';
import { byId } from './dom.ts';
import { History, type HistoryEntry } from './history.ts';
import type { AskView } from './types.ts';

/** What this gateway offers, read from its own OpenAPI document (routes land at different times). */
interface Features {
  events: boolean;
  documents: boolean;
  collection: boolean;
}

async function discover(): Promise<Features> {
  try {
    const res = await fetch('/openapi.json');
    const doc = (await res.json()) as {
      paths: Record<string, unknown>;
      components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> };
    };
    return {
      events: '/v1/ask/{id}/events' in doc.paths,
      documents: '/v1/documents' in doc.paths,
      collection: 'collection' in (doc.components?.schemas?.AskRequest?.properties ?? {}),
    };
  } catch {
    return { events: false, documents: false, collection: false };
  }
}

const form = byId<HTMLFormElement>('ask-form');
const question = byId<HTMLTextAreaElement>('question');
const askButton = byId<HTMLButtonElement>('ask-button');
const cancelButton = byId<HTMLButtonElement>('cancel-button');
const copyButton = byId<HTMLButtonElement>('copy-button');
const formError = byId('form-error');
const collectionInput = byId<HTMLInputElement>('collection');
const keyInput = byId<HTMLInputElement>('api-key');

const view = new AnswerView();
const history = new History((e) => void reopen(e));
let features: Features = { events: false, documents: false, collection: false };
/** The ask on screen: following it stops (the ask itself goes on) when another one is shown. */
let current: { id: string; follow: AbortController } | undefined;

const mode = () => (form.elements.namedItem('mode') as RadioNodeList).value || 'fast';
const collection = () => collectionInput.value.trim() || 'default';

function describe(err: unknown): string {
  if (err instanceof ApiError) return err.status === 401 ? `${err.message} (set the API key below)` : err.message;
  return err instanceof Error ? err.message : String(err);
}

function show(id: string, questionText: string, follow = new AbortController()): AbortController {
  current?.follow.abort();
  current = { id, follow };
  view.reset(questionText);
  copyButton.disabled = true;
  cancelButton.disabled = false;
  return follow;
}

function settle(result: AskView): void {
  view.finish(result);
  history.setStatus(result.id, result.status);
  cancelButton.disabled = true;
  copyButton.disabled = !view.answer;
}

/** Streams (or long-polls) the ask on screen until it ends: `run` delivers its events to the listener. */
async function follow(id: string, signal: AbortSignal, run: (on: AskListener) => Promise<void>): Promise<void> {
  try {
    await run({
      status: (s, position) => {
        view.showStatus(s, position);
        history.setStatus(id, s);
      },
      citations: (c) => {
        view.restartAnswer();
        view.setCitations(c);
      },
      token: (t) => {
        view.appendToken(t);
        copyButton.disabled = false;
      },
      done: (v) => settle(v),
    });
  } catch (err) {
    if (signal.aborted) return;
    view.setBusy(false);
    cancelButton.disabled = true;
    view.status(`Lost track of the ask: ${describe(err)}`);
  }
}

async function ask(): Promise<void> {
  formError.textContent = '';
  // NFC: Vietnamese typed with some input methods arrives decomposed (e + combining marks).
  const text = question.value.normalize('NFC').trim();
  if (!text) {
    formError.textContent = 'Type a question first.';
    question.focus();
    return;
  }
  const body: Record<string, unknown> = { question: text, mode: mode() };
  if (features.collection) body.collection = collection();
  askButton.disabled = true;
  view.status('Sending…');
  // Submitted with Accept: text/event-stream when the gateway streams: the answer then streams from the LLM
  // whatever the timing (an events request opened after generation started would get it whole).
  const ctl = new AbortController();
  try {
    const submitted = await submitAsk(body, { sse: features.events, signal: ctl.signal });
    history.add({
      id: submitted.id,
      question: text,
      mode: String(body.mode),
      askedAt: new Date().toISOString(),
      status: submitted.status,
    });
    show(submitted.id, text, ctl);
    view.showStatus(submitted.status);
    void follow(submitted.id, ctl.signal, submitted.follow);
  } catch (err) {
    ctl.abort();
    formError.textContent = `The question was not accepted: ${describe(err)}`;
    view.status('');
  } finally {
    askButton.disabled = false;
  }
}

async function reopen(e: HistoryEntry): Promise<void> {
  question.value = e.question;
  const ctl = show(e.id, e.question);
  view.status('Loading…');
  byId('answer-heading').scrollIntoView({ block: 'nearest' });
  await follow(e.id, ctl.signal, (on) => followAsk(e.id, on, { sse: features.events, signal: ctl.signal }));
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void ask();
});

// Enter asks, Shift+Enter is a new line; never while an input method is composing (Vietnamese Telex/VNI, where
// Enter confirms the composed word).
question.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
  e.preventDefault();
  form.requestSubmit();
});

cancelButton.addEventListener('click', async () => {
  if (!current) return;
  const { id } = current;
  cancelButton.disabled = true;
  try {
    const res = await apiFetch(`/v1/ask/${encodeURIComponent(id)}`, { method: 'DELETE' });
    if (!res.ok) throw await errorOf(res);
    // The stream (or long-poll) delivers the terminal view; settle now in case it already ended.
    if (current?.id === id) {
      current.follow.abort();
      settle((await res.json()) as AskView);
    }
  } catch (err) {
    view.status(
      err instanceof ApiError && err.status === 409 ? 'It had already finished.' : `Not cancelled: ${describe(err)}`,
    );
  }
});

copyButton.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(view.answer);
    view.status('Answer copied to the clipboard.');
  } catch {
    view.status('Copying was refused by the browser; select the answer and copy it by hand.');
  }
});

keyInput.value = apiKey.get();
const keyChanged: (() => void)[] = [];
keyInput.addEventListener('change', () => {
  apiKey.set(keyInput.value.trim());
  for (const f of keyChanged) f();
});

features = await discover();
byId('collection-field').hidden = !features.collection;
if (features.documents) {
  const panel = new DocumentsPanel(collection);
  void panel.load();
  collectionInput.addEventListener('change', () => void panel.load());
  keyChanged.push(() => void panel.load());
}
document.body.dataset.ready = 'true';
