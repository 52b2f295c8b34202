import { byId, h } from './dom.ts';
import type { AskStatus } from './types.ts';

export interface HistoryEntry {
  id: string;
  question: string;
  mode: string;
  askedAt: string;
  status: AskStatus;
}

const STORE = 'rag.history';
const MAX = 50;

/** This tab's earlier asks (sessionStorage), newest first; each reopens its ask. */
export class History {
  private entries: HistoryEntry[];
  private readonly list = byId<HTMLUListElement>('history');
  private readonly empty = byId('history-empty');
  private readonly onOpen: (e: HistoryEntry) => void;

  constructor(onOpen: (e: HistoryEntry) => void) {
    this.onOpen = onOpen;
    try {
      this.entries = JSON.parse(sessionStorage.getItem(STORE) ?? '[]') as HistoryEntry[];
    } catch {
      this.entries = [];
    }
    this.render();
  }

  add(entry: HistoryEntry): void {
    this.entries = [entry, ...this.entries.filter((e) => e.id !== entry.id)].slice(0, MAX);
    this.save();
  }

  setStatus(id: string, status: AskStatus): void {
    const e = this.entries.find((x) => x.id === id);
    if (!e || e.status === status) return;
    e.status = status;
    this.save();
  }

  private save(): void {
    sessionStorage.setItem(STORE, JSON.stringify(this.entries));
    this.render();
  }

  private render(): void {
    this.empty.hidden = this.entries.length > 0;
    this.list.replaceChildren(
      ...this.entries.map((e) => {
        const button = h(
          'button',
          { type: 'button', class: 'history-item', lang: 'vi', 'aria-describedby': `history-${e.id}` },
          e.question,
        );
        button.addEventListener('click', () => this.onOpen(e));
        const time = new Date(e.askedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
        return h(
          'li',
          {},
          button,
          h('span', { class: `badge badge-${e.status}`, id: `history-${e.id}` }, `${e.status} · ${e.mode} · ${time}`),
        );
      }),
    );
  }
}
