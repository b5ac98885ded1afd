import { pino } from 'pino';
import type { Logger } from '../types.js';

/**
 * The default logger when the host passes none: pino on stdout. Paths that could ever hold a secret
 * or signature are redacted as a second line of defence; the code already never logs them. The
 * signature header names come from the scheme registry (passed in), so a new scheme's header is
 * redacted without anyone remembering to list it here.
 */
export function defaultLogger(signatureHeaders: readonly string[]): Logger {
  const headerPaths = [...new Set(signatureHeaders)].map((name) => `headers[${JSON.stringify(name)}]`);
  return pino({
    name: 'crm-webhooks',
    level: process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: ['secret', 'secrets', '*.secret', '*.secrets', ...headerPaths, 'headers.authorization'],
      censor: '[redacted]',
    },
  }) as unknown as Logger;
}
