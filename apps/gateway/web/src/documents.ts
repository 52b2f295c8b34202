import { ApiError, apiFetch, apiJson, errorOf } from './api.ts';
import { byId, h } from './dom.ts';
import type { DocumentView } from './types.ts';

const PAGE = 50;
const REFRESH_MS = 1500;

/**
 * The collection's documents with their state; upload by drag and drop or the file picker; delete after a
 * confirmation. Writes need an API key allowed to write when the gateway has keys: a 401/403 says so.
 */
export class DocumentsPanel {
  private readonly list = byId<HTMLUListElement>('documents');
  private readonly statusEl = byId('documents-status');
  private readonly more = byId<HTMLButtonElement>('documents-more');
  private readonly collection: () => string;
  private cursor: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(collection: () => string) {
    this.collection = collection;
    byId('documents-section').hidden = false;
    const zone = byId('dropzone');
    const input = byId<HTMLInputElement>('file-input');
    input.addEventListener('change', () => {
      if (input.files?.length) void this.upload([...input.files]).finally(() => (input.value = ''));
    });
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('dragging');
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length) void this.upload(files);
    });
    this.more.addEventListener('click', () => void this.load(true));
  }

  private say(message: string): void {
    this.statusEl.textContent = message;
  }

  private explain(err: unknown): string {
    if (err instanceof ApiError && err.status === 401) return `${err.message} (set the API key below)`;
    if (err instanceof ApiError && err.status === 403) return `${err.message} (use a key allowed to write)`;
    return err instanceof Error ? err.message : String(err);
  }

  async load(append = false): Promise<void> {
    clearTimeout(this.timer);
    const q = new URLSearchParams({ collection: this.collection(), limit: String(PAGE) });
    if (append && this.cursor) q.set('cursor', this.cursor);
    try {
      const page = await apiJson<{ items: DocumentView[]; nextCursor?: string }>(`/v1/documents?${q}`);
      if (this.statusEl.dataset.listError) {
        delete this.statusEl.dataset.listError;
        this.say('');
      }
      this.cursor = page.nextCursor;
      this.more.hidden = !page.nextCursor;
      const rows = page.items.map((d) => this.row(d));
      if (append) this.list.append(...rows);
      else this.list.replaceChildren(...rows);
      if (!append && page.items.length === 0) this.list.append(h('li', { class: 'hint' }, 'No documents yet.'));
      // Keep the states fresh while something is being ingested.
      if (page.items.some((d) => d.status === 'queued' || d.status === 'processing'))
        this.timer = setTimeout(() => void this.load(), REFRESH_MS);
    } catch (err) {
      this.say(`Could not list documents: ${this.explain(err)}`);
      this.statusEl.dataset.listError = 'true';
    }
  }

  private row(d: DocumentView): HTMLLIElement {
    const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${d.documentId}` }, 'Delete');
    del.addEventListener('click', () => void this.remove(d, del));
    const detail: string[] = [d.status];
    const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
    if (d.pages !== undefined) detail.push(count(d.pages, 'page'));
    if (d.chunks !== undefined) detail.push(count(d.chunks, 'chunk'));
    return h(
      'li',
      { 'data-id': d.id },
      h('span', { class: 'doc-title', lang: 'vi' }, d.title || d.documentId),
      h('span', { class: `badge badge-${d.status}` }, detail.join(' · ')),
      d.error ? h('span', { class: 'error' }, d.error.message) : null,
      del,
    );
  }

  async upload(files: File[]): Promise<void> {
    for (const file of files) {
      this.say(`Uploading ${file.name}…`);
      const form = new FormData();
      form.append('collection', this.collection());
      form.append('file', file, file.name);
      try {
        const res = await apiFetch('/v1/documents', { method: 'POST', body: form });
        if (!res.ok) throw await errorOf(res);
        this.say(`${file.name} uploaded; it is being ingested.`);
      } catch (err) {
        this.say(`${file.name} was not uploaded: ${this.explain(err)}`);
      }
    }
    await this.load();
  }

  private async remove(d: DocumentView, button: HTMLButtonElement): Promise<void> {
    if (!confirm(`Delete “${d.title || d.documentId}” from ${d.collection}? Answers will no longer cite it.`)) return;
    button.disabled = true;
    try {
      const res = await apiFetch(`/v1/documents/${encodeURIComponent(d.id)}`, { method: 'DELETE' });
      if (!res.ok) throw await errorOf(res);
      await this.load();
      this.say(`${d.documentId} deleted.`);
      byId('file-input').focus();
    } catch (err) {
      button.disabled = false;
      this.say(`${d.documentId} was not deleted: ${this.explain(err)}`);
    }
  }
}
