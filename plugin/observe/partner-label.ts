import { isValidSlug } from '../partners/slug.js';

export const UNKNOWN_PARTNER = '(unknown)';
export const OTHER_PARTNERS = '(other)';

/**
 * Turns a partner slug into a metric label with a bounded number of values. The receive route
 * already reports unknown partners as '(unknown)'; this is the second line of defence for paths that
 * report a slug before knowing it exists (a database outage while loading partners), since every
 * distinct label value is a new time series kept forever.
 */
export function partnerLabels(maxPartners: number): (partner: string) => string {
  const seen = new Set<string>();
  return (partner) => {
    if (partner === UNKNOWN_PARTNER || !isValidSlug(partner)) return UNKNOWN_PARTNER;
    if (seen.has(partner)) return partner;
    if (seen.size >= maxPartners) return OTHER_PARTNERS;
    seen.add(partner);
    return partner;
  };
}
