import { eventDetailView } from './event-detail.js';
import { eventsView } from './events-view.js';
import { nowView } from './now-view.js';
import { partnersView } from './partners-view.js';

/** Hash routes (#partners, #events, #event/<id>, #now), so every view has a link and Back works. */
function route(main: HTMLElement): () => void {
  const hash = window.location.hash.replace(/^#/, '') || 'partners';
  const detail = /^event\/(\d+)$/.exec(hash);
  const section = detail ? 'events' : hash;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (link.dataset.view === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (detail) return eventDetailView(main, Number(detail[1]));
  if (hash === 'events') return eventsView(main);
  if (hash === 'now') return nowView(main);
  return partnersView(main);
}

function start(): void {
  const main = document.getElementById('main')!;
  let stop = route(main);
  window.addEventListener('hashchange', () => {
    stop();
    stop = route(main);
    main.focus();
  });
}

start();
