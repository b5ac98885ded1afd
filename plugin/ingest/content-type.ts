import { WebhookError } from '../errors.js';

/**
 * docs/http.md: by default only application/json and application/*+json; a partner's settings may
 * allow more. A charset other than UTF-8 is refused too: the body is stored and parsed as UTF-8.
 */
export function checkContentType(header: string | undefined, extra: readonly string[] = []): void {
  // What nearly every partner sends, settled without splitting or a regular expression.
  if (header === 'application/json' || header === 'application/json; charset=utf-8') return;
  const [mediaType = '', ...params] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  const accepted =
    mediaType === 'application/json' ||
    /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(mediaType) ||
    extra.some((type) => type.toLowerCase() === mediaType);
  if (!accepted || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new WebhookError(415, 'unsupported_media_type', 'send the body as application/json (UTF-8)');
  }
}
