import { CommanderError } from 'commander';
import { WebhookError } from '../../plugin/errors.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** A failure the CLI already put into words: printed as is, on one line, with this exit code. */
export class CliFailure extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_FAILURE, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliFailure';
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string) => new CliFailure(message, EXIT_USAGE);

const PREFIX = 'crm-webhooks: ';

/**
 * Turns anything thrown into the one line on stderr and an exit code. No stack, ever: the people
 * reading it are CRM admins, and a stack of knex internals tells them nothing. Usage problems exit 2,
 * everything else 1.
 */
export function describeFailure(error: unknown): { line: string; exitCode: number } {
  if (error instanceof CliFailure) return { line: oneLine(error.message), exitCode: error.exitCode };
  if (error instanceof CommanderError) return { line: oneLine(error.message.replace(/^error:\s*/i, '')), exitCode: EXIT_USAGE };
  if (error instanceof WebhookError) {
    // 400s from the admin services are arguments they refused (a bad slug, scheme, setting).
    return { line: oneLine(error.message), exitCode: error.status === 400 ? EXIT_USAGE : EXIT_FAILURE };
  }
  return { line: oneLine(messageOf(error)), exitCode: EXIT_FAILURE };
}

/** The driver's own words, without the SQL text knex puts in front of them. */
export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const sqlMessage = (error as { sqlMessage?: unknown }).sqlMessage;
  if (typeof sqlMessage === 'string' && sqlMessage) return sqlMessage;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_') && error.message.includes(' - ')) {
    return error.message.slice(error.message.lastIndexOf(' - ') + 3);
  }
  // Node reports a refused connection to several addresses (::1 and 127.0.0.1) as an AggregateError without a message.
  if (!error.message && error instanceof AggregateError && error.errors[0] instanceof Error) return messageOf(error.errors[0]);
  return error.message || (typeof code === 'string' ? code : error.name);
}

function oneLine(message: string): string {
  const text = message.replace(/\s*\n\s*/g, ' ').trim();
  const short = text.length > 500 ? `${text.slice(0, 499)}…` : text;
  return short.startsWith(PREFIX) ? short : `${PREFIX}${short}`;
}
