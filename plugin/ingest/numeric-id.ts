import { WebhookError } from '../errors.js';

/** Stands in for a loosely written number; a control character, so it can never be a real id. */
export const LOOSE_NUMBER = '\u0000loose-number';
const MARK = JSON.stringify(LOOSE_NUMBER);
const PLAIN_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
// Characters a JSON number token may hold: digits, '-', '+', '.', 'e', 'E'.
const inNumber = (c: number) => isDigit(c) || c === MINUS || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;

/**
 * `text` (valid JSON) with every number not written as a plain integer (`1e3`, `1000.0`, `-0`)
 * replaced by the string LOOSE_NUMBER. JSON.parse gives 1000 for all of `1000`, `1e3` and `1000.0`,
 * and Node 20 cannot give a number's source text, so the spelling is judged on the text itself.
 */
export function markLooseNumbers(text: string): string {
  let out = '';
  let copiedTo = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === MINUS || isDigit(c)) {
      let end = i + 1;
      while (end < text.length && inNumber(text.charCodeAt(end))) end += 1;
      const token = text.slice(i, end);
      if (!PLAIN_INTEGER.test(token) || token === '-0') {
        out += text.slice(copiedTo, i) + MARK;
        copiedTo = end;
      }
      i = end - 1;
    }
  }
  return copiedTo === 0 ? text : out + text.slice(copiedTo);
}

/**
 * Issue 9 item 11: `1e3`, `1000.0` and `1000` would all be the id "1000". A numeric id is looked up
 * again in a copy of the body where loose numbers are marked (`relocate` reads the id from a parsed
 * body the same way the first lookup did); landing on a mark is a 400.
 */
export function assertPlainNumericId(id: unknown, text: string, relocate: (body: unknown) => unknown): void {
  if (typeof id !== 'number') return;
  const marked = markLooseNumbers(text);
  if (marked === text) return;
  let markedBody: unknown;
  try {
    markedBody = JSON.parse(marked);
  } catch {
    return; // not a JSON body (a form or XML): its values are text, never a loosely written number
  }
  if (relocate(markedBody) === LOOSE_NUMBER) {
    throw new WebhookError(400, 'invalid_event_id', 'a numeric event id must be written as a plain integer (no fraction, exponent or -0)');
  }
}
