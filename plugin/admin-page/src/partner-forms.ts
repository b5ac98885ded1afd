import { api, type Partner } from './api.js';
import { copyField, h, toast } from './dom.js';
import { openDialog } from './dialog.js';

/** Shows a secret the one time it exists outside the database, with the endpoint and a signed curl. */
export function showSecretOnce(title: string, slug: string, secret: string, endpoint: string, curl?: string): void {
  const { close } = openDialog(
    title,
    h('p', { class: 'warning' }, 'Copy the secret now: it is shown this once and never again. Paste it into the provider\'s console with the endpoint URL.'),
    copyField(`Secret of ${slug}`, secret, 'new-secret'),
    copyField('Endpoint URL', endpoint, 'new-endpoint'),
    curl ? copyField('Send a signed test event (curl)', curl, 'new-curl', true) : null,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => close() }, 'Done')),
  );
}

function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  const hintId = hint ? `${input.id}-hint` : undefined;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hint ? h('small', { id: hintId }, hint) : null);
}

function errorLine(): HTMLElement {
  return h('p', { class: 'error', role: 'alert' });
}

export async function addPartnerDialog(onDone: () => void): Promise<void> {
  const { schemes } = await api<{ schemes: string[] }>('GET', 'schemes');
  const slug = h('input', { id: 'partner-slug', name: 'slug', required: true, pattern: '[a-z0-9][a-z0-9_-]{0,63}', autocomplete: 'off' });
  const scheme = h('select', { id: 'partner-scheme', name: 'scheme' }, ...schemes.map((s) => h('option', { value: s }, s)));
  const secret = h('input', { id: 'partner-secret', name: 'secret', type: 'password', autocomplete: 'off' });
  const tolerance = h('input', { id: 'partner-tolerance', name: 'tolerance', type: 'number', min: 1, inputmode: 'numeric' });
  const problem = errorLine();
  const form = h('form', { novalidate: true },
    field('Slug (part of the URL)', slug, 'Lowercase letters, digits, - and _; it cannot be changed later.'),
    field('Signature scheme or preset', scheme),
    field('Secret', secret, 'Leave empty to generate one; paste the provider\'s secret if it gave you one.'),
    field('Timestamp tolerance in seconds (optional)', tolerance, 'For schemes that sign a timestamp; default 300.'),
    problem,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, 'Add partner'),
    ),
  );
  const { close } = openDialog('Add a partner', form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.textContent = '';
    const settings = tolerance.value ? { toleranceSeconds: Number(tolerance.value) } : {};
    try {
      const created = await api<{ partner: Partner; secret: string; sampleCurl: string }>('POST', 'partners', {
        slug: slug.value.trim(),
        scheme: scheme.value,
        secret: secret.value || undefined,
        settings,
      });
      close();
      onDone();
      showSecretOnce(`Partner ${created.partner.slug} added`, created.partner.slug, created.secret, created.partner.endpoint, created.sampleCurl);
    } catch (error) {
      problem.textContent = (error as Error).message;
    }
  });
  slug.focus();
}

const list = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

export function settingsDialog(partner: Partner, onDone: () => void): void {
  const s = partner.settings as {
    toleranceSeconds?: number; allowIps?: string[]; idFrom?: string; typeFrom?: string; rateLimit?: { perSecond: number; burst: number };
  };
  const tolerance = h('input', { id: 'set-tolerance', type: 'number', min: 1, value: s.toleranceSeconds ?? '' });
  const allowIps = h('textarea', { id: 'set-allow-ips', rows: 3, spellcheck: 'false' });
  allowIps.value = (s.allowIps ?? []).join('\n');
  const perSecond = h('input', { id: 'set-rate', type: 'number', min: 0, step: 'any', value: s.rateLimit?.perSecond ?? '' });
  const burst = h('input', { id: 'set-burst', type: 'number', min: 1, value: s.rateLimit?.burst ?? '' });
  const idFrom = h('input', { id: 'set-id-from', value: s.idFrom ?? '', placeholder: 'body:data.id or header:x-event-id' });
  const typeFrom = h('input', { id: 'set-type-from', value: s.typeFrom ?? '', placeholder: 'body:event.type' });
  const problem = errorLine();
  const form = h('form', { novalidate: true },
    field('Timestamp tolerance (seconds)', tolerance, 'Empty: the default, 300.'),
    field('Allowed IP addresses or CIDRs', allowIps, 'One per line; empty: any address.'),
    h('div', { class: 'pair' }, field('Rate limit (requests per second)', perSecond), field('Burst', burst)),
    field('Event id location', idFrom, 'header:<name> or body:<dot.path>; empty: the scheme\'s default.'),
    field('Event type location', typeFrom),
    problem,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, 'Save settings'),
    ),
  );
  const { close } = openDialog(`Settings of ${partner.slug}`, form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.textContent = '';
    if ((perSecond.value === '') !== (burst.value === '')) {
      problem.textContent = 'Rate and burst go together: give both or neither.';
      return;
    }
    // An emptied field removes the setting (null), exactly as `partner set --unset` does.
    const settings = {
      toleranceSeconds: tolerance.value ? Number(tolerance.value) : null,
      allowIps: list(allowIps.value).length ? list(allowIps.value) : null,
      rateLimit: perSecond.value ? { perSecond: Number(perSecond.value), burst: Number(burst.value) } : null,
      idFrom: idFrom.value.trim() || null,
      typeFrom: typeFrom.value.trim() || null,
    };
    try {
      await api('POST', `partners/${encodeURIComponent(partner.slug)}/settings`, { settings });
      close();
      toast(`Settings of ${partner.slug} saved.`);
      onDone();
    } catch (error) {
      problem.textContent = (error as Error).message;
    }
  });
}
