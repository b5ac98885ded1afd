import { XMLParser, XMLValidator, type EntityDecoderOptions } from 'fast-xml-parser';
import { WebhookError } from '../errors.js';
import { parseJsonBody } from '../ingest/json-body.js';

export type BodyType = 'json' | 'form' | 'xml' | 'json-or-form';

export interface DecodeOptions {
  maxJsonDepth: number;
  /** Form fields whose value is JSON (Slack's `payload`, Mandrill's `mandrill_events`). */
  jsonFields?: readonly string[];
}

/** Fields a form may carry: far more than any provider sends, and a bound on the work per request. */
export const MAX_FORM_FIELDS = 10_000;
const MAX_XML_DEPTH = 64;

export interface DecodedBody {
  /** The body as UTF-8 text, stored byte for byte. */
  text: string;
  /** What handlers get as `payload` and the event locator reads. */
  value: unknown;
  /** How the body was decoded (absent: JSON), stored with the event so the worker decodes it alike. */
  type?: 'json' | 'form' | 'xml';
}

function utf8(raw: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw new WebhookError(400, 'invalid_body', 'the body is not valid UTF-8');
  }
}

/**
 * A form as an object: one value per key, repeated keys as arrays, in a prototype-free object so a
 * field named `__proto__` is just a field.
 */
export function decodeForm(text: string, options: DecodeOptions): Record<string, unknown> {
  // Counted before parsing so a 100,000-field form costs a scan, not 100,000 entries.
  let fields = text.length === 0 ? 0 : 1;
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    fields += 1;
    if (fields > MAX_FORM_FIELDS) throw new WebhookError(400, 'invalid_body', `the form has more than ${MAX_FORM_FIELDS} fields`);
  }
  const form: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of new URLSearchParams(text)) {
    const held = form[key];
    form[key] = held === undefined ? value : Array.isArray(held) ? [...(held as unknown[]), value] : [held, value];
  }
  for (const field of options.jsonFields ?? []) {
    const value = form[field];
    if (typeof value !== 'string') continue;
    form[field] = parseJsonBody(Buffer.from(value, 'utf8'), options.maxJsonDepth).value;
  }
  return form;
}

/**
 * XML without DTDs, declared entities or external references: a DOCTYPE is refused outright (XXE
 * and entity bombs both need one); XML's predefined entities and character references are decoded.
 */
export function decodeXml(text: string): unknown {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new WebhookError(400, 'invalid_body', 'XML with a DOCTYPE or entity declaration is refused');
  if (xmlDepth(text) > MAX_XML_DEPTH) throw new WebhookError(400, 'invalid_body', `the XML body nests deeper than ${MAX_XML_DEPTH} levels`);
  if (XMLValidator.validate(text) !== true) throw new WebhookError(400, 'invalid_body', 'the body is not well-formed XML');
  const parser = new XMLParser({
    // The parser calls the decoder for text and attributes, never for CDATA. Ours knows XML's five
    // entities and character references only: nothing a DOCTYPE (refused above) could declare.
    processEntities: true,
    entityDecoder: XML_REFERENCES,
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    parseTagValue: false,
    ignoreDeclaration: true,
  });
  try {
    return parser.parse(text) as unknown;
  } catch {
    throw new WebhookError(400, 'invalid_body', 'the body is not well-formed XML');
  }
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** One pass, so `&amp;#65;` becomes the text `&#65;`; a name XML does not predefine stays as written. */
function decodeXmlReferences(value: string): string {
  if (!value.includes('&')) return value;
  return value.replace(/&(lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/g, (whole, name: string) => {
    if (name[0] !== '#') return PREDEFINED[name]!;
    const code = name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
    // A reference to a character XML does not allow (NUL, a surrogate, past Unicode) is kept as written.
    const allowed = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0x10ffff && code !== 0xfffe && code !== 0xffff);
    return allowed ? String.fromCodePoint(code) : whole;
  });
}

const XML_REFERENCES: EntityDecoderOptions = Object.freeze({
  setExternalEntities: () => undefined,
  addInputEntities: () => undefined,
  reset: () => undefined,
  setXmlVersion: () => undefined,
  decode: decodeXmlReferences,
});

/** Rough element depth from the tags alone, measured before any parser recursion. */
function xmlDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (const match of text.matchAll(/<(\/?)[^>]*?(\/?)>/g)) {
    const tag = match[0];
    if (tag.startsWith('<?') || tag.startsWith('<!')) continue;
    if (match[1] === '/') depth -= 1;
    else if (match[2] !== '/') depth += 1;
    if (depth > deepest) deepest = depth;
  }
  return deepest;
}

const FORM_TYPE = /^\s*application\/x-www-form-urlencoded\s*(?:;|$)/i;

/** The one place a verified body is decoded, whatever its type. */
export function decodeBody(raw: Buffer, type: BodyType, options: DecodeOptions, contentType?: string): DecodedBody {
  if (type === 'json-or-form') type = FORM_TYPE.test(contentType ?? '') ? 'form' : 'json';
  if (type === 'json') return parseJsonBody(raw, options.maxJsonDepth);
  const text = utf8(raw);
  return type === 'form' ? { text, value: decodeForm(text, options), type } : { text, value: decodeXml(text), type };
}

/** What a scheme may say about its bodies; the code schemes say nothing and get JSON. */
export interface BodyRules {
  readonly bodyType?: BodyType;
  readonly jsonFields?: readonly string[];
}

/** The receive path's one call: decode a verified body the way the partner's scheme says. */
export function decodeForScheme(raw: Buffer, scheme: object, contentType: string | undefined, maxJsonDepth: number): DecodedBody {
  const rules = scheme as BodyRules;
  if (rules.bodyType === undefined) return parseJsonBody(raw, maxJsonDepth);
  return decodeBody(raw, rules.bodyType, { maxJsonDepth, jsonFields: rules.jsonFields ?? [] }, contentType);
}
