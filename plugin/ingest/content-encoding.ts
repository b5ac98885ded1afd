import { WebhookError } from '../errors.js';

/**
 * A body is verified and stored exactly as its bytes arrived, so it is never decompressed: a
 * signature over compressed bytes would store a body nobody can read, and decompressing first would
 * let a small request claim gigabytes (docs/http.md). Absent, empty or `identity` only.
 */
export function checkContentEncoding(header: string | undefined): void {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return;
  throw new WebhookError(415, 'unsupported_media_type', 'send the body without Content-Encoding (identity only)');
}
