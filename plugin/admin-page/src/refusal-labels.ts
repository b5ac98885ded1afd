/** The receive route's refusal outcomes with the HTTP status each one answers (CONTRACT.md). */
const STATUS_OF: Readonly<Record<string, number>> = {
  unknown_partner: 404,
  partner_disabled: 403,
  ip_not_allowed: 403,
  rate_limited: 429,
  unsupported_media_type: 415,
  payload_too_large: 413,
  request_timeout: 408,
  unauthorized: 401,
  bad_request: 400,
  store_unavailable: 503,
  internal_error: 500,
};

export function refusalLabel(reason: string, count: number): string {
  const status = STATUS_OF[reason];
  return `${status ?? ''} ${reason.replace(/_/g, ' ')} × ${count}`.trim();
}
