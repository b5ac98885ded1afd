/**
 * What a log line may say about an error. Database drivers and knex put the statement with its
 * values into the message (`insert into webhook_outbox ... values (<the body>) - ...`, MySQL's
 * "Duplicate entry '<value>'"), JSON.parse quotes the text it choked on, and Node's HTTP parse
 * errors carry the raw packet (request line, signature header, body). So, unless `logBodies` is on,
 * such errors are logged by class, code and errno only (issue 9, item 2); other errors keep their
 * message, and every error keeps its stack frames (file positions, no data).
 */
export interface LoggedError {
  type: string;
  message?: string;
  code?: string | number;
  errno?: number;
  sqlState?: string;
  stack?: string;
  cause?: LoggedError;
}

const MAX_CAUSES = 4;

export function loggableError(error: unknown, logBodies = false): unknown {
  if (logBodies) return error;
  return describe(error, 0);
}

function describe(error: unknown, depth: number): LoggedError {
  if (!(error instanceof Error)) return { type: error === null ? 'null' : typeof error };
  const fields = error as Error & { code?: unknown; errno?: unknown; sqlState?: unknown };
  const logged: LoggedError = { type: error.name || error.constructor.name };
  if (typeof fields.code === 'string' || typeof fields.code === 'number') logged.code = fields.code;
  if (typeof fields.errno === 'number') logged.errno = fields.errno;
  if (typeof fields.sqlState === 'string') logged.sqlState = fields.sqlState;
  if (!carriesData(error)) logged.message = error.message;
  const frames = stackFrames(error.stack);
  if (frames) logged.stack = frames;
  if (error.cause !== undefined && depth < MAX_CAUSES) logged.cause = describe(error.cause, depth + 1);
  return logged;
}

/** Errors whose message may quote a statement's values, a body or a raw request. */
function carriesData(error: Error): boolean {
  const fields = error as Error & Record<string, unknown>;
  if (error instanceof SyntaxError) return true;
  if ('sql' in fields || 'sqlMessage' in fields || 'sqlState' in fields || 'rawPacket' in fields || typeof fields.errno === 'number') return true;
  if (typeof fields.code === 'string' && /^(SQLITE_|ER_|HPE_)/.test(fields.code)) return true;
  // knex prefixes the formatted statement to whatever the driver said.
  return /^\s*(insert|update|select|delete|replace|with|alter|create|drop)\s/i.test(error.message);
}

/** The "at ..." lines only: the first lines of a stack repeat the message. */
function stackFrames(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  const at = stack.indexOf('\n    at ');
  return at === -1 ? undefined : stack.slice(at + 1);
}
