import { WebhookError } from '../errors.js';
import { locateEvent, type LocateOverrides } from '../signatures/event-locator.js';
import type { BatchRule, RequestHeaders } from '../signatures/types.js';
import { normalizeEventId, normalizeEventType } from './event-fields.js';
import { LOOSE_NUMBER, markLooseNumbers } from './numeric-id.js';

/** One event of a batched body, ready to store. */
export interface BatchItem {
  eventId: string;
  eventType: string | null;
  /** The item as JSON text: a batch cannot be split byte for byte, so each row holds its own item. */
  payload: string;
  /** The decoded item, for the ordering fields. */
  value: unknown;
}

export interface BatchOfEvents {
  /** Items the request carried, repeats included. */
  count: number;
  /** One per distinct event id, in the request's order (a repeated id keeps its first item). */
  items: BatchItem[];
}

const isItem = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);

function refuse(code: 'invalid_batch' | 'batch_too_large', message: string): WebhookError {
  return new WebhookError(400, code, message);
}

/** A 400 from one item names the item, so the partner sees which one broke the batch. */
function atItem<T>(index: number, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof WebhookError) throw new WebhookError(error.status, error.code, `batch item ${index}: ${error.message}`);
    throw error;
  }
}

/**
 * Issue 10 item 6: the events of a batched body, each located inside its own item (a partner's
 * `body:` override is read inside the item too). The whole request is refused (nothing stored) when
 * any item cannot be an event: an empty batch, more items than the rule allows, an item that is not
 * an object, or one without a valid id.
 */
export function batchEvents(
  rule: BatchRule,
  list: readonly unknown[],
  headers: RequestHeaders,
  bodyText: string,
  overrides: LocateOverrides,
): BatchOfEvents {
  if (list.length === 0) throw refuse('invalid_batch', 'the batch holds no events');
  // Counted before any item is read: a 100,000-item array costs nothing beyond its parse.
  if (list.length > rule.maxItems) throw refuse('batch_too_large', `a request may carry at most ${rule.maxItems} events; this one carries ${list.length}`);
  const located = list.map((item, i) => {
    if (!isItem(item)) throw refuse('invalid_batch', `batch item ${i} is not an object`);
    return locateEvent(rule, headers, item, overrides);
  });
  assertPlainNumericIds(rule, located, bodyText, headers, overrides);
  const seen = new Set<string>();
  const items: BatchItem[] = [];
  located.forEach(({ id, type }, i) => {
    const eventId = atItem(i, () => normalizeEventId(id));
    const eventType = atItem(i, () => normalizeEventType(type));
    if (seen.has(eventId)) return;
    seen.add(eventId);
    items.push({ eventId, eventType, payload: JSON.stringify(list[i]), value: list[i] });
  });
  return { count: list.length, items };
}

/**
 * `1e3` and `1000` would be the same id (ingest/numeric-id.ts): the body's loose numbers are marked
 * once, and every item whose id is a number is looked up again in the marked copy.
 */
function assertPlainNumericIds(
  rule: BatchRule,
  located: ReadonlyArray<{ id: unknown }>,
  bodyText: string,
  headers: RequestHeaders,
  overrides: LocateOverrides,
): void {
  if (!located.some(({ id }) => typeof id === 'number')) return;
  const marked = markLooseNumbers(bodyText);
  if (marked === bodyText) return;
  let markedItems: readonly unknown[] | null;
  try {
    markedItems = rule.items(JSON.parse(marked));
  } catch {
    return; // not a JSON body: its values are text, never a loosely written number
  }
  located.forEach(({ id }, i) => {
    if (typeof id !== 'number' || !markedItems) return;
    if (locateEvent(rule, headers, markedItems[i], overrides).id === LOOSE_NUMBER) {
      throw new WebhookError(400, 'invalid_event_id', `batch item ${i}: a numeric event id must be written as a plain integer (no fraction, exponent or -0)`);
    }
  });
}
