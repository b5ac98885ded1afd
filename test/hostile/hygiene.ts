import type { RawResponse } from './raw-http.js';

/** What must never reach a client: stack frames, file paths, SQL, driver error names. */
const LEAKS: ReadonlyArray<[string, RegExp]> = [
  ['a stack frame', /\bat [\w.<>]+ \(|\bat (?:file:|node:|\/)/],
  ['a source path', /\.(?:js|ts|mjs):\d+/],
  ['SQL', /\b(?:SELECT|INSERT|UPDATE|DELETE)\b.*\b(?:FROM|INTO|SET|WHERE)\b/i],
  ['a table name', /webhook_(?:outbox|dedupe|partners|migrations)/],
  ['a driver error', /\b(?:SQLITE_[A-Z_]+|ER_[A-Z_]{3,}|ECONNREFUSED|KnexTimeoutError|sqlMessage|errno)\b/],
];

/** Problems with a response whatever its status: a 5xx, a leak, or an error body off the contract. */
export function hygieneProblems(response: RawResponse): string[] {
  const problems: string[] = [];
  if (response.status >= 500) problems.push(`status ${response.status}`);
  for (const [what, pattern] of LEAKS) if (pattern.test(response.body)) problems.push(`body shows ${what}`);
  if (response.status >= 400 && (response.headers['content-type'] ?? '').includes('application/json')) {
    const body = JSON.parse(response.body) as Record<string, unknown>;
    const keys = Object.keys(body).sort().join(',');
    if (keys !== 'error,message') problems.push(`error body has keys ${keys}`);
    if (typeof body.message !== 'string' || body.message.length > 200) problems.push('error message missing or too long');
  }
  return problems;
}
