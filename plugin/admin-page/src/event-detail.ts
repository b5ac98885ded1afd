import { api, type OutboxDetail } from './api.js';
import { confirmAction } from './dialog.js';
import { h, replaceChildren, toast, when } from './dom.js';

const REFRESH_MS = 2000;

/** One event: its fields, timeline, pretty-printed payload, redacted headers, and replay. */
export function eventDetailView(main: HTMLElement, id: number): () => void {
  const body = h('div', { class: 'detail' });
  replaceChildren(main, h('p', {}, h('a', { href: '#events' }, '← All events')), h('h2', {}, `Event ${id}`), body);

  async function replay(): Promise<void> {
    if (!(await confirmAction(`Replay event ${id}?`, 'It goes back to pending with a fresh attempt budget and runs now.', 'Replay'))) return;
    try {
      await api('POST', `outbox/${id}/replay`);
      toast(`Event ${id} replayed.`);
      await load();
    } catch (error) {
      toast((error as Error).message, 'error');
    }
  }

  async function load(): Promise<void> {
    try {
      const e = await api<OutboxDetail>('GET', `outbox/${id}`);
      const facts: Array<[string, string]> = [
        ['Partner', e.partner], ['Event id', e.eventId], ['Type', e.eventType ?? '—'], ['Attempts', String(e.attempts)],
        ['Received', when(e.receivedAt)], ['Next attempt', e.status === 'pending' ? when(e.nextAttemptAt) : '—'],
        ['Processed', when(e.processedAt)], ['Last error', e.lastError ?? '—'],
      ];
      replaceChildren(body,
        h('p', {}, 'Status: ', h('span', { class: `badge ${e.status}`, id: 'event-status' }, e.status), ' ',
          e.status === 'dead' || e.status === 'pending' ? h('button', { type: 'button', class: 'primary', onclick: () => void replay() }, 'Replay this event') : null),
        h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
        h('h3', {}, 'Timeline'),
        h('ol', { class: 'timeline' }, ...e.timeline.map((t) => h('li', {}, h('time', {}, t.at ? when(t.at) : 'earlier'), ' ', t.what))),
        h('p', { class: 'hint' }, 'The outbox keeps the latest state of an event, so earlier attempts show as one line with the last error.'),
        h('h3', {}, 'Payload'),
        h('pre', { class: 'payload', tabindex: 0 }, typeof e.payload === 'string' ? e.payload : JSON.stringify(e.payload, null, 2)),
        h('h3', {}, 'Headers (signatures redacted)'),
        Object.keys(e.headers).length === 0 ? h('p', {}, 'none stored') : h('dl', { class: 'facts' }, ...Object.entries(e.headers).flatMap(([k, v]) => [h('dt', { class: 'mono' }, k), h('dd', { class: 'mono' }, v)])),
      );
    } catch (error) {
      replaceChildren(body, h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    }
  }

  void load();
  const timer = setInterval(() => {
    const status = document.getElementById('event-status')?.textContent;
    if (status === 'pending' || status === 'processing') void load();
  }, REFRESH_MS);
  return () => clearInterval(timer);
}
