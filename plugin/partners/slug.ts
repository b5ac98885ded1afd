/** CONTRACT.md: lowercase letters, digits, '-' and '_', 1 to 64 characters. Checked before any query. */
export const SLUG_PATTERN = /^[a-z0-9_-]{1,64}$/;

export function isValidSlug(value: unknown): value is string {
  return typeof value === 'string' && SLUG_PATTERN.test(value);
}
