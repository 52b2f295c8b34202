import { byId, h } from './dom.ts';
import type { AskStatus, AskView, Citation } from './types.ts';

const CITE = /\[(\d+)\]/g;

/** The answer area: text with `[n]` turned into links to the sources, the sources, and the ask's status. */
export class AnswerView {
  private readonly answerEl = byId('answer');
  private readonly citationsEl = byId<HTMLOListElement>('citations');
  private readonly statusEl = byId('ask-status');
  private text = '';
  private citations: Citation[] = [];
  private frame = 0;

  constructor() {
    // One listener for every [n] link, present and future.
    this.answerEl.addEventListener('click', (e) => {
      const link = (e.target as Element).closest<HTMLAnchorElement>('a.cite-ref');
      if (!link) return;
      e.preventDefault();
      this.jumpTo(Number(link.dataset.index));
    });
  }

  get answer(): string {
    return this.text;
  }

  reset(question: string): void {
    this.text = '';
    this.citations = [];
    this.answerEl.replaceChildren();
    this.answerEl.setAttribute('lang', 'vi');
    this.answerEl.dataset.question = question;
    this.citationsEl.replaceChildren();
    this.setBusy(true);
  }

  setBusy(busy: boolean): void {
    this.answerEl.setAttribute('aria-busy', String(busy));
  }

  status(message: string): void {
    this.statusEl.textContent = message;
  }

  showStatus(status: AskStatus, position?: number): void {
    if (status === 'queued')
      this.status(position === undefined ? 'Queued…' : `Queued (position ${position} in the queue)…`);
    else if (status === 'active') this.status(this.text ? 'Answering…' : 'Searching the documents…');
  }

  appendToken(text: string): void {
    this.text += text;
    // Tokens can come faster than frames: draw at most once per frame.
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.renderAnswer();
      });
    }
  }

  /** A new `citations` event (a retry, or the fallback generator taking over) restarts the answer's tokens. */
  restartAnswer(): void {
    this.text = '';
    this.renderAnswer();
  }

  setCitations(citations: Citation[]): void {
    this.citations = citations;
    this.citationsEl.replaceChildren(
      ...citations.map((c) =>
        h(
          'li',
          { id: `cite-${c.index}`, tabindex: '-1', value: String(c.index) },
          h('span', { class: 'cite-title' }, c.title || c.documentId),
          c.page !== undefined ? h('span', { class: 'cite-page' }, ` · page ${c.page}`) : null,
          h('span', { class: 'cite-doc' }, ` · ${c.documentId}`),
          h('blockquote', { class: 'snippet', lang: 'vi' }, c.snippet),
        ),
      ),
    );
    if (citations.length === 0) this.citationsEl.append(h('li', { class: 'hint' }, 'No sources.'));
  }

  /** The terminal view: the final answer replaces what was streamed (they are the same text when all went well). */
  finish(view: AskView): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.setBusy(false);
    if (view.status === 'completed' && view.result) {
      this.text = view.result.answer;
      this.setCitations(view.result.citations);
      this.renderAnswer();
      const r = view.result;
      const bits = [`Answered in ${(r.timings.totalMs / 1000).toFixed(1)} s`];
      if (r.cached) bits.push('from the cache');
      if (r.degraded) bits.push('degraded (fallback model)');
      if (r.answerable === false) bits.push('the documents do not answer this');
      this.status(`${bits.join(', ')}.`);
    } else if (view.status === 'cancelled') {
      this.renderAnswer();
      this.status('Cancelled.');
    } else {
      this.renderAnswer();
      this.status(`Failed (${view.error?.code ?? 'unknown'}): ${view.error?.message ?? 'no reason given'}`);
    }
  }

  private renderAnswer(): void {
    const nodes: (Node | string)[] = [];
    let at = 0;
    for (const m of this.text.matchAll(CITE)) {
      const n = Number(m[1]);
      nodes.push(this.text.slice(at, m.index));
      const known = this.citations.some((c) => c.index === n);
      nodes.push(
        known
          ? h(
              'a',
              { href: `#cite-${n}`, class: 'cite-ref', 'data-index': String(n), 'aria-label': `source ${n}` },
              m[0],
            )
          : m[0],
      );
      at = (m.index ?? 0) + m[0].length;
    }
    nodes.push(this.text.slice(at));
    this.answerEl.replaceChildren(...nodes);
  }

  jumpTo(index: number): void {
    const target = document.getElementById(`cite-${index}`);
    if (!target) return;
    for (const el of this.citationsEl.querySelectorAll('.flash')) el.classList.remove('flash');
    target.classList.add('flash');
    target.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    target.focus({ preventScroll: true });
  }
}
