import { pino, type DestinationStream } from 'pino';
import type { Logger } from '../types.js';

/**
 * The default logger when the host passes none: pino on stdout (or `destination`). Paths that could
 * ever hold a secret, a signature or a raw request are redacted as a second line of defence; the
 * code already never logs them. The signature header names come from the scheme registry (passed
 * in), so a new scheme's header is redacted without anyone remembering to list it here. `rawPacket`
 * is what Node's HTTP parse errors carry: the request line, headers (signatures included) and the
 * body bytes read so far.
 */
export function defaultLogger(signatureHeaders: readonly string[], destination?: DestinationStream): Logger {
  const headerPaths = [...new Set(signatureHeaders)].map((name) => `headers[${JSON.stringify(name)}]`);
  const options = {
    name: 'crm-webhooks',
    level: process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: ['secret', 'secrets', '*.secret', '*.secrets', ...headerPaths, 'headers.authorization', 'rawPacket', '*.rawPacket', 'err.cause.rawPacket'],
      censor: '[redacted]',
    },
  };
  return (destination ? pino(options, destination) : pino(options)) as unknown as Logger;
}
