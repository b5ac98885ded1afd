import { randomBytes } from 'node:crypto';
import { getScheme } from '../signatures/index.js';
import type { SchemeName } from '../types.js';

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * A curl command that sends one correctly signed test event to a new partner, shown next to its
 * secret right after creation (the only moment the secret is known). Timestamped schemes sign the
 * current time, so the command works for the partner's tolerance (default 5 minutes).
 */
export function sampleCurl(url: string, scheme: SchemeName, secret: string, nowMs: number): string {
  const id = `evt_sample_${randomBytes(6).toString('hex')}`;
  const type = 'sample.ping';
  const body = JSON.stringify({ id, type, data: { note: 'sent from the admin page' } });
  const signed = getScheme(scheme).sign({ secret, rawBody: body, id, type, timestampSeconds: Math.floor(nowMs / 1000) });
  const headers = Object.entries({ 'content-type': 'application/json', ...signed }).map(([name, value]) => `-H ${quote(`${name}: ${value}`)}`);
  return ['curl -sS -i -X POST', quote(url), ...headers, '--data-binary', quote(body)].join(' ');
}
