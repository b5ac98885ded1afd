import { isUtf8 } from 'node:buffer';
import { WebhookError } from '../errors.js';

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Decodes and parses a verified body. UTF-8 is checked strictly (the outbox stores text), and the
 * nesting depth is measured on the bytes before JSON.parse, whose recursion a 10,000-deep body would
 * otherwise spend on the request's stack.
 */
export function parseJsonBody(raw: Buffer, maxDepth: number): { text: string; value: unknown } {
  // isUtf8 + toString: the same strict check as a fatal TextDecoder (BOM kept), without a decoder
  // allocated per request: this runs for every event, so it was one of the hot path's costs.
  if (!isUtf8(raw)) throw new WebhookError(400, 'invalid_body', 'the body is not valid UTF-8');
  const text = raw.toString('utf8');
  // The byte-by-byte depth scan only when the body holds enough brackets to be too deep at all:
  // counting them is native (indexOf), and a typical event has a handful.
  if (openBrackets(raw, maxDepth + 1) > maxDepth && nestingDepth(raw) > maxDepth) {
    throw new WebhookError(400, 'json_too_deep', `the JSON body nests deeper than ${maxDepth} levels`);
  }
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch {
    throw new WebhookError(400, 'invalid_json', 'the body is not valid JSON');
  }
}

/** Opening brackets (`{` and `[`, inside strings too) up to `stop`: an upper bound of the nesting depth. */
function openBrackets(raw: Buffer, stop: number): number {
  let count = 0;
  for (const byte of [OPEN_BRACE, OPEN_BRACKET]) {
    for (let at = raw.indexOf(byte); at !== -1 && count < stop; at = raw.indexOf(byte, at + 1)) count += 1;
  }
  return count;
}

/** Deepest bracket nesting outside strings; malformed input just yields some number, JSON.parse judges it. */
export function nestingDepth(raw: Buffer): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i += 1) {
    const byte = raw[i];
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return deepest;
}
