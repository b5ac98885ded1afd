import { api, type Partner } from './api.js';
import { confirmAction } from './dialog.js';
import { copyField, h, replaceChildren, toast, when } from './dom.js';
import { addPartnerDialog, settingsDialog, showSecretOnce } from './partner-forms.js';
import { refusalLabel } from './refusal-labels.js';

const REFRESH_MS = 5000;

/** Partners: status, last event, refusals of the last hour, endpoint to copy, and every change. */
export function partnersView(main: HTMLElement): () => void {
  const body = h('div', { class: 'partners' });
  replaceChildren(main,
    h('div', { class: 'view-head' },
      h('h2', {}, 'Partners'),
      h('button', { type: 'button', class: 'primary', onclick: () => void addPartnerDialog(() => void load()) }, 'Add partner'),
    ),
    body,
  );

  async function act(partner: Partner, action: 'enable' | 'disable' | 'rotate' | 'retire-secrets'): Promise<void> {
    const questions = {
      enable: [`Enable ${partner.slug}?`, 'Its events will be accepted again.', 'Enable'],
      disable: [`Disable ${partner.slug}?`, 'Its events will be refused with 403 until you enable it again. The provider will retry or drop them as it does for any refusal.', 'Disable'],
      rotate: [`Add a new secret to ${partner.slug}?`, 'The old secrets keep working until you retire them, so you can switch the provider over without losing events.', 'Add secret'],
      'retire-secrets': [`Retire old secrets of ${partner.slug}?`, 'Only the newest secret will verify from now on. Do this after the provider signs with the new one.', 'Retire old secrets'],
    } as const;
    const [title, message, label] = questions[action];
    if (!(await confirmAction(title, message, label))) return;
    try {
      const result = await api<{ secret?: string; retired?: number; partner?: Partner }>('POST', `partners/${encodeURIComponent(partner.slug)}/${action}`);
      if (action === 'rotate' && result.secret) showSecretOnce(`New secret for ${partner.slug}`, partner.slug, result.secret, partner.endpoint);
      else toast(action === 'retire-secrets' ? `${result.retired ?? 0} old secret(s) of ${partner.slug} retired.` : `${partner.slug} ${action}d.`);
      await load();
    } catch (error) {
      toast((error as Error).message, 'error');
    }
  }

  function row(p: Partner): HTMLElement {
    const refusals = Object.entries(p.refusalsLastHour ?? {});
    return h('tr', { 'data-partner': p.slug },
      h('th', { scope: 'row' }, p.slug),
      h('td', {}, p.scheme),
      h('td', {}, h('span', { class: `badge ${p.enabled ? 'done' : 'dead'}` }, p.enabled ? 'enabled' : 'disabled')),
      h('td', {}, when(p.lastReceivedAt ?? null)),
      h('td', { class: 'refusals' }, refusals.length === 0 ? 'none' : h('ul', {}, ...refusals.map(([reason, n]) => h('li', {}, refusalLabel(reason, n))))),
      h('td', { class: 'endpoint' }, copyField(`Endpoint URL of ${p.slug}`, p.endpoint, `endpoint-${p.slug}`)),
      h('td', { class: 'row-actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => void act(p, p.enabled ? 'disable' : 'enable') }, p.enabled ? 'Disable' : 'Enable'),
        h('button', { type: 'button', class: 'secondary', onclick: () => void act(p, 'rotate') }, 'Rotate secret'),
        h('button', { type: 'button', class: 'secondary', disabled: p.secrets.length < 2, onclick: () => void act(p, 'retire-secrets') }, 'Retire old secrets'),
        h('button', { type: 'button', class: 'secondary', onclick: () => settingsDialog(p, () => void load()) }, 'Settings'),
      ),
    );
  }

  async function load(auto = false): Promise<void> {
    // A background refresh would pull the focus out of a field the admin is selecting from; skip it.
    const active = document.activeElement;
    if (auto && active && body.contains(active) && ['INPUT', 'TEXTAREA', 'SELECT'].includes(active.tagName)) return;
    try {
      const { partners } = await api<{ partners: Partner[] }>('GET', 'partners');
      replaceChildren(body, partners.length === 0
        ? h('p', {}, 'No partners yet. Add one, then paste its endpoint URL and secret into the provider\'s console.')
        : h('div', { class: 'table-wrap' }, h('table', {},
          h('caption', {}, 'Refusals count this server process\'s last hour.'),
          h('thead', {}, h('tr', {}, ...['Partner', 'Scheme', 'Status', 'Last event', 'Refusals (last hour)', 'Endpoint', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, ...partners.map(row)),
        )));
    } catch (error) {
      replaceChildren(body, h('p', { class: 'error', role: 'alert' }, (error as Error).message));
    }
  }

  void load();
  const timer = setInterval(() => void load(true), REFRESH_MS);
  return () => clearInterval(timer);
}
