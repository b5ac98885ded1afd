import { api, query, type OutboxRow, type Partner } from './api.js';
import { confirmAction } from './dialog.js';
import { h, replaceChildren, toast, when } from './dom.js';
import { replayAllDead } from './replay-all.js';

const PAGE = 50;
const REFRESH_MS = 2000;
const STATUSES = ['pending', 'processing', 'done', 'dead'];

function localToIso(value: string): string | undefined {
  return value ? new Date(value).toISOString() : undefined;
}

/** The outbox as a filtered table, newest first, paged by keyset (`before` = the last id shown). */
export function eventsView(main: HTMLElement): () => void {
  const cursors: Array<number | undefined> = [undefined];
  const selected = new Set<number>();
  let next: number | null = null;

  const status = h('select', { id: 'filter-status' }, h('option', { value: '' }, 'any'), ...STATUSES.map((s) => h('option', { value: s }, s)));
  const partner = h('select', { id: 'filter-partner' }, h('option', { value: '' }, 'any'));
  const type = h('input', { id: 'filter-type', autocomplete: 'off' });
  const eventId = h('input', { id: 'filter-event-id', autocomplete: 'off' });
  const from = h('input', { id: 'filter-from', type: 'datetime-local', step: 1 });
  const to = h('input', { id: 'filter-to', type: 'datetime-local', step: 1 });
  const labelled = (text: string, input: HTMLElement) => h('div', { class: 'field' }, h('label', { for: input.id }, text), input);
  const filters = h('form', { class: 'filters', 'aria-label': 'Filter events' },
    labelled('Status', status), labelled('Partner', partner), labelled('Type', type), labelled('Event id', eventId),
    labelled('Received from (local time)', from), labelled('Received before', to),
    h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters')),
  );
  const table = h('div', { class: 'table-wrap', 'aria-live': 'polite' });
  const replaySelected = h('button', { type: 'button', class: 'secondary', disabled: true, onclick: () => void replaySelection() }, 'Replay selected');
  const replayDead = h('button', { type: 'button', class: 'secondary', onclick: () => void startReplayAll() }, 'Replay all dead of partner…');
  const newer = h('button', { type: 'button', class: 'secondary', onclick: () => { cursors.pop(); void load(); } }, '← Newer');
  const older = h('button', { type: 'button', class: 'secondary', onclick: () => { if (next !== null) { cursors.push(next); void load(); } } }, 'Older →');
  const pageInfo = h('span', { class: 'page-info' });

  replaceChildren(main,
    h('div', { class: 'view-head' }, h('h2', {}, 'Events'), h('div', { class: 'row-actions' }, replaySelected, replayDead)),
    filters, table, h('div', { class: 'pager' }, newer, pageInfo, older),
  );

  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    cursors.splice(0, cursors.length, undefined);
    selected.clear();
    void load();
  });

  function params() {
    return { status: status.value, partner: partner.value, type: type.value.trim(), eventId: eventId.value.trim(), from: localToIso(from.value), to: localToIso(to.value) };
  }

  async function replaySelection(): Promise<void> {
    const ids = [...selected];
    if (!(await confirmAction(`Replay ${ids.length} selected event(s)?`, 'Dead or scheduled events go back to pending and run now; done or running ones are left alone.', `Replay ${ids.length}`))) return;
    try {
      const result = await api<{ replayed: number[]; skipped: Array<{ id: number; reason: string }> }>('POST', 'outbox/replay', { ids });
      toast(`${result.replayed.length} replayed${result.skipped.length ? `, ${result.skipped.length} skipped (${result.skipped.map((s) => `${s.id}: ${s.reason}`).join('; ')})` : ''}.`);
      selected.clear();
      await load();
    } catch (error) {
      toast((error as Error).message, 'error');
    }
  }

  async function startReplayAll(): Promise<void> {
    if (!partner.value) {
      toast('Choose a partner in the filters first.', 'error');
      partner.focus();
      return;
    }
    try {
      await replayAllDead(partner.value, () => void load());
    } catch (error) {
      toast((error as Error).message, 'error');
    }
  }

  function row(r: OutboxRow): HTMLElement {
    const box = h('input', { type: 'checkbox', id: `select-${r.id}`, checked: selected.has(r.id), 'aria-label': `Select event ${r.id}` });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(r.id);
      else selected.delete(r.id);
      updateButtons();
    });
    return h('tr', { 'data-id': r.id, 'data-status': r.status },
      h('td', {}, box),
      h('td', {}, h('a', { href: `#event/${r.id}` }, String(r.id))),
      h('td', {}, r.partner),
      h('td', {}, r.eventType ?? '—'),
      h('td', { class: 'mono' }, r.eventId),
      h('td', {}, h('span', { class: `badge ${r.status}` }, r.status)),
      h('td', { class: 'num' }, r.attempts),
      h('td', {}, when(r.receivedAt)),
      h('td', { class: 'error-text' }, r.lastError ? r.lastError.slice(0, 120) : ''),
    );
  }

  function updateButtons(): void {
    replaySelected.disabled = selected.size === 0;
    replaySelected.textContent = selected.size ? `Replay selected (${selected.size})` : 'Replay selected';
    newer.disabled = cursors.length <= 1;
    older.disabled = next === null;
  }

  async function load(): Promise<void> {
    try {
      const page = await api<{ rows: OutboxRow[]; next: number | null }>('GET', `outbox${query({ ...params(), before: cursors.at(-1), limit: PAGE })}`);
      next = page.next;
      pageInfo.textContent = `Page ${cursors.length}`;
      replaceChildren(table, page.rows.length === 0 ? h('p', {}, 'No events match.') : h('table', {},
        h('thead', {}, h('tr', {}, ...['', 'Id', 'Partner', 'Type', 'Event id', 'Status', 'Attempts', 'Received', 'Last error'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...page.rows.map(row)),
      ));
    } catch (error) {
      replaceChildren(table, h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    }
    updateButtons();
  }

  void api<{ partners: Partner[] }>('GET', 'partners').then(({ partners }) => {
    for (const p of partners) partner.appendChild(h('option', { value: p.slug }, p.slug));
  }).catch(() => undefined);
  void load();
  // The first page follows new events live, unless the admin is selecting rows.
  const timer = setInterval(() => {
    if (cursors.length === 1 && selected.size === 0) void load();
  }, REFRESH_MS);
  return () => clearInterval(timer);
}
