import type { Logger } from '../types.js';

/** How a host's logger takes a line: pino/bunyan `(fields, message)` or winston/console `(message, meta)`. */
export type LoggerStyle = 'object-first' | 'message-first';

/** `never[]` so that any logging function fits, whatever parameter types its own typings declare. */
type LogMethod = (...args: never[]) => unknown;
type Call = (...args: unknown[]) => unknown;

/** What a host may pass as `logger`: anything with info, warn and error; debug and child are optional. */
export interface HostLogger {
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  debug?: LogMethod;
  child?: (bindings: never) => unknown;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Guesses the calling convention. pino and bunyan, and anything else with pino's interface, take
 * fields first; winston (Strapi's logger), log4js and the console take the message first and print
 * a leading object as "[object Object]". Unknown loggers are taken to follow pino's interface, which
 * is what the plugin always documented; `loggerStyle` overrides the guess.
 */
export function detectLoggerStyle(logger: HostLogger): LoggerStyle {
  const l = logger as unknown as Record<string, unknown>;
  const isWinston = typeof l.log === 'function' && (Array.isArray(l.transports) || typeof l.add === 'function') && typeof l.bindings !== 'function';
  const isConsole = typeof l.table === 'function' && typeof l.group === 'function';
  const isLog4js = typeof l.category === 'string';
  return isWinston || isConsole || isLog4js ? 'message-first' : 'object-first';
}

/** The plugin's Logger over a host's logger, whichever convention it follows. */
export function adaptLogger(host: HostLogger, style: LoggerStyle = detectLoggerStyle(host)): Logger {
  if (style === 'object-first' && LEVELS.every((level) => typeof host[level] === 'function') && typeof host.child === 'function') {
    return host as unknown as Logger;
  }
  return wrap(host, style, {});
}

function wrap(host: HostLogger, style: LoggerStyle, bindings: Record<string, unknown>): Logger {
  const at = (level: (typeof LEVELS)[number]) => {
    const method = host[level] as Call | undefined;
    if (typeof method !== 'function') return () => undefined; // a logger without debug drops debug lines
    return (first: object | string, msg?: string): void => {
      const fields = typeof first === 'string' ? bindings : { ...bindings, ...plain(first as Record<string, unknown>) };
      const message = typeof first === 'string' ? first : (msg ?? '');
      const hasFields = Object.keys(fields).length > 0;
      if (style === 'message-first') {
        if (hasFields) method.call(host, message, fields);
        else method.call(host, message);
      } else if (hasFields) method.call(host, fields, message);
      else method.call(host, message);
    };
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => wrap(host, style, { ...bindings, ...more }),
  };
}

/**
 * Errors have no enumerable properties, so winston's JSON format and most meta printers show `{}`
 * for them: spell out what a reader needs.
 */
function plain(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? errorFields(value) : value;
  }
  return out;
}

function errorFields(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    ...(error.cause instanceof Error ? { cause: errorFields(error.cause) } : {}),
  };
}
