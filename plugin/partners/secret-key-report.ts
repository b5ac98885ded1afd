import type { ActivePartner } from './partner-directory.js';

export interface SecretKeyReport {
  /** Partners whose stored secrets this process cannot open (no key, another key): their events get 503. */
  unreadable: string[];
  /** Partners with secrets stored in plain text although this process has a key: stored by a CLI without it. */
  plainWhileKeyed: string[];
}

/**
 * Whether this process and whatever stored the secrets (the CLI, another host) agree on the key.
 * A mismatch either way used to be silent: plain secrets were accepted as they are, and secrets
 * sealed with another key answered 503 while /_health said ok.
 */
export function secretKeyReport(partners: Iterable<ActivePartner>, keyConfigured: boolean): SecretKeyReport {
  const report: SecretKeyReport = { unreadable: [], plainWhileKeyed: [] };
  for (const partner of partners) {
    if (partner.secretsProblem) report.unreadable.push(partner.slug);
    else if (keyConfigured && partner.storedPlain) report.plainWhileKeyed.push(partner.slug);
  }
  return report;
}
