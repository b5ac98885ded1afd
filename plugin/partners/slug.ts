/**
 * Lowercase letters, digits, '-' and '_', 1 to 64 characters, not starting with '_': that prefix is
 * the plugin's own routes (`/_health`, `/_admin`), docs/http.md. Checked before any query.
 */
export const SLUG_PATTERN = /^[a-z0-9-][a-z0-9_-]{0,63}$/;

/** How a slug must look, for error messages. */
export const SLUG_RULE = 'slug must be 1 to 64 of a-z, 0-9, "-" and "_", not starting with "_"';

export function isValidSlug(value: unknown): value is string {
  return typeof value === 'string' && SLUG_PATTERN.test(value);
}
