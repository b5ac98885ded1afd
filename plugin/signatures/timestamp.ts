/**
 * Canonical decimal only: no sign, no spaces, no leading zeros, at most 12 digits (year ~33658).
 * Leading zeros are refused because the signed content uses the header text as sent, while
 * reference libraries re-format the parsed number; a canonical form keeps both readings identical.
 */
const UNIX_SECONDS = /^(?:0|[1-9][0-9]{0,11})$/;

/** Unix seconds from a header or `t=` field, or null when the text is not a plain timestamp. */
export function parseUnixSeconds(text: string): number | null {
  return UNIX_SECONDS.test(text) ? Number(text) : null;
}

/**
 * Whether `seconds` lies within `toleranceSeconds` of now, both ways, boundary included. Now is
 * truncated to whole seconds, as the Standard Webhooks and Stripe libraries do, so a request they
 * accept is accepted here too. A NaN or negative tolerance accepts nothing.
 */
export function isWithinTolerance(seconds: number, nowMs: number, toleranceSeconds: number): boolean {
  const nowSeconds = Math.floor(nowMs / 1000);
  return Math.abs(nowSeconds - seconds) <= toleranceSeconds;
}

/** Parse and check in one step: the whole timestamp rule of the timestamped schemes. */
export function isFreshTimestamp(text: string, nowMs: number, toleranceSeconds: number): boolean {
  const seconds = parseUnixSeconds(text);
  return seconds !== null && isWithinTolerance(seconds, nowMs, toleranceSeconds);
}
