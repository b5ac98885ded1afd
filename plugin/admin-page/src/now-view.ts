import { api, type Figures, type MinuteCounts } from './api.js';
import { formatNumber, minuteChart } from './chart.js';
import { h, replaceChildren } from './dom.js';
import { refusalLabel } from './refusal-labels.js';

const REFRESH_MS = 5000;

const meanMs = (sum: number, count: number) => (count === 0 ? 0 : (sum / count) * 1000);

function age(seconds: number | null): string {
  if (seconds === null) return 'none pending';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function card(label: string, value: string, id: string): HTMLElement {
  return h('div', { class: 'card' }, h('span', { class: 'card-label', id: `${id}-label` }, label), h('strong', { 'aria-labelledby': `${id}-label`, id }, value));
}

function partnerBlock(slug: string, minutes: readonly MinuteCounts[], refusals: Record<string, number>): HTMLElement {
  const series = (pick: (m: MinuteCounts) => number) => minutes.map(pick);
  return h('section', { class: 'partner-figures', 'aria-labelledby': `figures-${slug}` },
    h('h3', { id: `figures-${slug}` }, slug),
    h('div', { class: 'charts' },
      minuteChart('Accepted / min', series((m) => m.accepted)),
      minuteChart('Duplicates / min', series((m) => m.duplicate)),
      minuteChart('Refused / min', series((m) => m.refused)),
      minuteChart('Processed / min', series((m) => m.processed)),
      minuteChart('Failed attempts / min', series((m) => m.failed)),
      minuteChart('Ack latency (mean)', series((m) => meanMs(m.ackSecondsSum, m.ackCount)), ' ms'),
      minuteChart('Processing time (mean)', series((m) => meanMs(m.processingSecondsSum, m.processingCount)), ' ms'),
    ),
    Object.keys(refusals).length ? h('p', {}, 'Refusals: ', Object.entries(refusals).map(([r, n]) => refusalLabel(r, n)).join(', ')) : null,
  );
}

/** Live figures: backlog, firing alerts, and per-partner minute charts of the last hour. */
export function nowView(main: HTMLElement): () => void {
  const body = h('div', { class: 'now' });
  replaceChildren(main, h('div', { class: 'view-head' }, h('h2', {}, 'Now'), h('p', { class: 'hint' }, `Refreshes every ${REFRESH_MS / 1000} s. Per-minute figures are this server process's.`)), body);

  async function load(): Promise<void> {
    try {
      const f = await api<Figures>('GET', 'figures');
      const slugs = Object.keys(f.partners).sort();
      replaceChildren(body,
        h('div', { class: 'cards' },
          card('Pending', formatNumber(f.backlog.pending), 'now-pending'),
          card('Processing', formatNumber(f.backlog.processing), 'now-processing'),
          card('Dead', formatNumber(f.backlog.dead), 'now-dead'),
          card('Oldest pending', age(f.backlog.oldestPendingAgeSeconds), 'now-oldest'),
        ),
        h('section', { class: 'alerts', 'aria-labelledby': 'alerts-title' },
          h('h3', { id: 'alerts-title' }, 'Alerts'),
          f.alerts.length === 0 ? h('p', {}, 'No alert is firing.') : h('ul', { class: 'firing' }, ...f.alerts.map((a) => h('li', {}, a.replace(/_/g, ' ')))),
        ),
        slugs.length === 0 ? h('p', {}, 'No requests since this process started.') : null,
        ...slugs.map((slug) => partnerBlock(slug, f.partners[slug]!, f.refusals[slug] ?? {})),
      );
    } catch (error) {
      replaceChildren(body, h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    }
  }

  void load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  return () => clearInterval(timer);
}
