/**
 * Every refusal the plugin can answer, with the status docs/http.md gives it. One place maps these to
 * responses (http/error-response.ts); everything else only throws them.
 */
export type ErrorCode =
  | 'unknown_partner'
  | 'partner_disabled'
  | 'ip_not_allowed'
  | 'rate_limited'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'request_timeout'
  | 'too_many_headers'
  | 'signature_missing'
  | 'signature_invalid'
  | 'timestamp_invalid'
  | 'invalid_body'
  | 'invalid_json'
  | 'json_too_deep'
  | 'missing_event_id'
  | 'invalid_event_id'
  | 'invalid_event_type'
  | 'invalid_batch'
  | 'batch_too_large'
  | 'store_unavailable'
  | 'overloaded'
  | 'host_busy'
  | 'secrets_unavailable'
  | 'partner_misconfigured'
  | 'raw_body_unavailable'
  | 'method_not_allowed'
  | 'not_found'
  | 'bad_request'
  | 'conflict'
  | 'unauthorized'
  | 'cross_origin'
  | 'internal_error';

export interface WebhookErrorOptions {
  cause?: unknown;
  /** Seconds a client should wait before retrying (429 and 503). */
  retryAfterSeconds?: number;
  /** Close the connection after answering, as for a 413 whose body was not read. */
  closeConnection?: boolean;
}

export class WebhookError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;
  readonly closeConnection: boolean;

  constructor(status: number, code: ErrorCode, message: string, options: WebhookErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WebhookError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.closeConnection = options.closeConnection ?? false;
  }
}

/** A bad option passed to createWebhooksPlugin or a CLI flag: the message names it. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`crm-webhooks: ${message}`, options);
    this.name = 'ConfigError';
  }
}

/** Stored secrets that cannot be read with the configured key (missing, wrong, or corrupt). */
export class SecretKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`crm-webhooks: ${message}`, options);
    this.name = 'SecretKeyError';
  }
}

/** The database could not do what was asked right now (down, pool exhausted, lock timeout). */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
