import { pino } from 'pino';
import type { Logger } from '../types.js';

/**
 * The default logger when the host passes none: pino on stdout. Paths that could ever hold a secret
 * or signature are redacted as a second line of defence; the code already never logs them.
 */
export function defaultLogger(): Logger {
  return pino({
    name: 'crm-webhooks',
    level: process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: ['secret', 'secrets', '*.secret', '*.secrets', 'headers["x-webhook-signature"]', 'headers["webhook-signature"]', 'headers["stripe-signature"]', 'headers["x-hub-signature-256"]', 'headers.authorization'],
      censor: '[redacted]',
    },
  }) as unknown as Logger;
}
