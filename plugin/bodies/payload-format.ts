import { decodeForm, decodeXml } from './decode-body.js';

/**
 * How an outbox row's `payload` text was written, stored in `webhook_outbox.payload_format` so the
 * worker decodes it the way the receive path did, without guessing from the text:
 * - NULL: JSON (every built-in scheme, and each item of a batched body);
 * - `xml`: an XML body;
 * - `form`, or `form:<field>,<field>` naming the form fields that hold JSON (Slack's `payload`).
 */
export type PayloadFormat = string | null;

export function payloadFormatOf(type: 'json' | 'form' | 'xml', jsonFields: readonly string[] = []): PayloadFormat {
  if (type === 'json') return null;
  if (type === 'xml') return 'xml';
  return jsonFields.length === 0 ? 'form' : `form:${jsonFields.join(',')}`;
}

/**
 * A JSON field was bounded by `receive.maxJsonDepth` when the event arrived; a stored event is
 * decoded whatever that setting says today, so a lowered limit never makes old events undecodable.
 */
const STORED_JSON_DEPTH = Number.MAX_SAFE_INTEGER;

/** The handler's `payload`: the stored text decoded as its format says. */
export function decodeStoredPayload(text: string, format: PayloadFormat | undefined): unknown {
  if (format === null || format === undefined) return JSON.parse(text) as unknown;
  if (format === 'xml') return decodeXml(text);
  if (format === 'form' || format.startsWith('form:')) {
    const jsonFields = format.length > 5 ? format.slice(5).split(',') : [];
    return decodeForm(text, { maxJsonDepth: STORED_JSON_DEPTH, jsonFields });
  }
  throw new Error(`crm-webhooks: unknown payload format "${format.slice(0, 32)}"`);
}
