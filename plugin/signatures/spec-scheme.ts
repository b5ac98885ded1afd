import { createHash, createHmac, randomBytes, verify as verifySignature } from 'node:crypto';
import { decodeBody, type BodyType, type DecodeOptions } from '../bodies/decode-body.js';
import { readBodyPath } from './body-path.js';
import { anyBytesEqual, decodeBase64, decodeHex } from './constant-time.js';
import { readHeader, type HeaderRead } from './header.js';
import { specSignsIdOrTimestamp, type ContentPart, type SignatureSpec } from './signature-spec.js';
import { specKey, type SpecKey } from './spec-key.js';
import type { BatchRule, LocatedEvent, RequestHeaders, SignatureScheme, Verdict, VerifyRequest } from './types.js';

/** Per-partner values a spec may sign. */
export interface SpecContext {
  /** The URL the provider calls, as it sees it (proxies rewrite the host). */
  publicUrl?: string;
}

/** A spec-driven scheme: a SignatureScheme plus what the receive path needs to know about its body. */
export interface SpecScheme extends SignatureScheme {
  readonly spec: SignatureSpec;
  readonly bodyType: BodyType;
  readonly jsonFields: readonly string[];
  /** False when a replay of the same bytes would verify forever: the body hash must then dedupe. */
  readonly signsIdOrTimestamp: boolean;
}

/** Signature entries read per request: rotation needs a handful, an attacker could send thousands. */
export const MAX_SPEC_ENTRIES = 32;
const MAX_ENTRY_LENGTH = 1024;
const UNIX = /^(?:0|[1-9][0-9]{0,14})$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

const DIGEST_BYTES: Record<SignatureSpec['algorithm'], number> = {
  'hmac-sha1': 20,
  'hmac-sha256': 32,
  'hmac-sha512': 64,
  sha256: 32,
  'ecdsa-p256-sha256': 0, // DER signatures vary in length
};

const FAIL_INVALID: Verdict = Object.freeze({ ok: false, code: 'signature_invalid' });
const FAIL_MISSING: Verdict = Object.freeze({ ok: false, code: 'signature_missing' });
const FAIL_TIMESTAMP: Verdict = Object.freeze({ ok: false, code: 'timestamp_invalid' });

function decodeSignature(text: string, encoding: SignatureSpec['encoding']): Buffer | null {
  if (encoding === 'hex') return decodeHex(text);
  if (encoding === 'base64') return decodeBase64(text);
  if (!BASE64URL.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text.replace(/=+$/, '') ? bytes : null;
}

function encodeDigest(bytes: Buffer, encoding: SignatureSpec['encoding']): string {
  return bytes.toString(encoding);
}

/** Seconds since the epoch from a timestamp as the spec formats it, or null. */
export function timestampSeconds(text: string, format: 's' | 'ms' | 'iso'): number | null {
  if (format === 'iso') {
    if (!ISO_8601.test(text)) return null;
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
  }
  if (!UNIX.test(text)) return null;
  return format === 's' ? Number(text) : Math.floor(Number(text) / 1000);
}

function formatTimestamp(seconds: number, format: 's' | 'ms' | 'iso'): string {
  if (format === 's') return String(seconds);
  if (format === 'ms') return String(seconds * 1000);
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Form parameters sorted by name, each name followed by its value (Twilio, Mandrill). */
function sortedForm(rawBody: Buffer): string {
  const entries = [...new URLSearchParams(rawBody.toString('utf8'))];
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.map(([key, value]) => key + value).join('');
}

interface ParsedSignature {
  candidates: Buffer[];
  pairTimestamp: string | undefined;
}

function splitEntries(value: string, spec: SignatureSpec): ParsedSignature | null {
  const { pairs, list, prefix, prefixRequired } = spec.signature;
  let raw: string[];
  let pairTimestamp: string | undefined;
  if (pairs) {
    const timestampKey = spec.timestamp?.from.startsWith('pair:') ? spec.timestamp.from.slice(5) : undefined;
    raw = [];
    for (const item of value.split(pairs.separator, MAX_SPEC_ENTRIES)) {
      const eq = item.indexOf('=');
      if (eq < 0) continue;
      const key = item.slice(0, eq).trim();
      const field = item.slice(eq + 1).trim();
      if (key === timestampKey) {
        // Two timestamps: an appended one must not override the signed one.
        if (pairTimestamp !== undefined) return null;
        pairTimestamp = field;
      } else if (key === pairs.key) {
        raw.push(field);
      }
    }
  } else {
    raw = list === 'single' ? [value] : value.split(list === 'space' ? ' ' : ',', MAX_SPEC_ENTRIES).map((s) => s.trim());
  }
  const candidates: Buffer[] = [];
  for (let entry of raw) {
    if (entry.length > MAX_ENTRY_LENGTH) continue;
    if (prefix) {
      const has = entry.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase();
      if (!has && prefixRequired) continue;
      if (has) entry = entry.slice(prefix.length);
    }
    const bytes = decodeSignature(entry, spec.encoding);
    if (bytes !== null && bytes.length > 0) candidates.push(bytes);
  }
  return { candidates, pairTimestamp };
}

function digest(spec: SignatureSpec, key: Buffer, content: readonly (string | Buffer)[]): Buffer {
  if (spec.algorithm === 'sha256') {
    const hash = createHash('sha256').update(key);
    for (const part of content) hash.update(part);
    return hash.digest();
  }
  const mac = createHmac(spec.algorithm.slice(5), key);
  for (const part of content) mac.update(part);
  return mac.digest();
}

/** Builds the verifier, signer and locator of one spec, with the partner's context bound in. */
export function createSpecScheme(spec: SignatureSpec, context: SpecContext = {}): SpecScheme {
  const jsonFields = spec.jsonFields;
  const locations = [spec.signature.from, spec.timestamp?.from ?? '', ...(spec.id ?? []), ...(spec.type ?? []), ...spec.content.flatMap((p) => (typeof p === 'object' && 'from' in p ? [p.from] : []))];
  const headerNames = [...new Set(locations.filter((l) => l.startsWith('header:')).map((l) => l.slice(7)))];
  const readsBody = locations.some((l) => l.startsWith('body:'));
  const signatureHeader = spec.signature.from.startsWith('header:') ? spec.signature.from.slice(7) : null;
  const decodeOptions: DecodeOptions = { maxJsonDepth: 64, jsonFields };

  function lookup(location: string, headers: RequestHeaders, body: () => unknown): HeaderRead {
    if (location.startsWith('header:')) return readHeader(headers, location.slice(7));
    const value = readBodyPath(body(), location.slice(5).split('.'));
    if (typeof value === 'number' && Number.isFinite(value)) return { status: 'present', value: String(value) };
    return typeof value === 'string' && value !== '' ? { status: 'present', value } : { status: 'absent' };
  }

  function idOf(headers: RequestHeaders, body: unknown): unknown {
    if (!spec.idJoin) return firstFound(spec.id, headers, body);
    const parts = (spec.id ?? []).map((l) => firstFound([l], headers, body));
    return parts.every((p) => typeof p === 'string' || typeof p === 'number') ? parts.join(':') : undefined;
  }

  function firstFound(list: readonly string[] | undefined, headers: RequestHeaders, body: unknown): unknown {
    for (const location of list ?? []) {
      const value = location.startsWith('header:') ? lookup(location, headers, () => body) : { status: 'raw' as const, value: readBodyPath(body, location.slice(5).split('.')) };
      if (value.status === 'present') return value.value;
      if (value.status === 'raw' && value.value !== undefined && value.value !== null) return value.value;
    }
    return undefined;
  }

  function contentOf(parts: readonly ContentPart[], values: { rawBody: Buffer; timestamp: string; id: string; method: string }, headers: RequestHeaders, body: () => unknown): (string | Buffer)[] | null {
    const out: (string | Buffer)[] = [];
    for (const part of parts) {
      if (part === 'body') out.push(values.rawBody);
      else if (part === 'timestamp') out.push(values.timestamp);
      else if (part === 'id') out.push(values.id);
      else if (part === 'method') out.push(values.method);
      else if (part === 'url') {
        if (context.publicUrl === undefined) return null;
        out.push(context.publicUrl);
      } else if (part === 'form-sorted') out.push(sortedForm(values.rawBody));
      else if ('literal' in part) out.push(part.literal);
      else {
        const read = lookup(part.from, headers, body);
        if (read.status !== 'present') return null;
        out.push(read.value);
      }
    }
    return out;
  }

  function verify({ rawBody, headers, secrets, nowMs, toleranceSeconds, method }: VerifyRequest): Verdict {
    let decoded: { value: unknown } | null = null;
    const body = () => {
      if (!readsBody) return undefined;
      try {
        decoded ??= decodeBody(rawBody, spec.body, decodeOptions, readHeader(headers, 'content-type').status === 'present' ? String(headers['content-type']) : undefined);
      } catch {
        decoded = { value: undefined };
      }
      return decoded.value;
    };
    const signature = lookup(spec.signature.from, headers, body);
    if (signature.status === 'absent') return FAIL_MISSING;
    if (signature.status === 'ambiguous') return FAIL_INVALID;
    const parsed = splitEntries(signature.value, spec);
    if (parsed === null || parsed.candidates.length === 0) return FAIL_INVALID;

    let timestamp = '';
    if (spec.timestamp) {
      const from = spec.timestamp.from;
      const read: HeaderRead = from.startsWith('pair:')
        ? parsed.pairTimestamp === undefined ? { status: 'absent' } : { status: 'present', value: parsed.pairTimestamp }
        : lookup(from, headers, body);
      if (read.status === 'absent') return FAIL_MISSING;
      if (read.status === 'ambiguous') return FAIL_INVALID;
      const seconds = timestampSeconds(read.value, spec.timestamp.format);
      if (seconds === null) return FAIL_TIMESTAMP;
      // Now is truncated to whole seconds, as the providers' own libraries do.
      const age = Math.floor(nowMs / 1000) - seconds;
      if (age > toleranceSeconds || (spec.timestamp.window === 'both' && -age > toleranceSeconds)) return FAIL_TIMESTAMP;
      timestamp = read.value;
    }
    let id = '';
    if (spec.content.includes('id')) {
      const found = idOf(headers, body());
      if (typeof found !== 'string' && typeof found !== 'number') return FAIL_MISSING;
      id = String(found);
    }
    const values = { rawBody, timestamp, id, method: method ?? 'POST' };
    const templates = spec.alternateContent ? [spec.content, spec.alternateContent] : [spec.content];
    const contents = templates.map((t) => contentOf(t, values, headers, body)).filter((c): c is (string | Buffer)[] => c !== null);
    if (contents.length === 0) return FAIL_INVALID;

    const keys = secrets.map((s) => specKey(spec, s)).flatMap((k) => (k.ok ? [k.key] : []));
    if (spec.algorithm === 'ecdsa-p256-sha256') return contents.some((c) => verifyEcdsa(keys, c, parsed.candidates)) ? { ok: true } : FAIL_INVALID;
    const expected = contents.flatMap((content) => keys.flatMap((k) => (k.kind === 'bytes' ? [digest(spec, k.bytes, content)] : [])));
    const candidates = parsed.candidates.filter((c) => c.length === DIGEST_BYTES[spec.algorithm]);
    return anyBytesEqual(expected, candidates) ? { ok: true } : FAIL_INVALID;
  }

  function locate(headers: RequestHeaders, body: unknown): LocatedEvent {
    return { id: idOf(headers, body), type: firstFound(spec.type, headers, body) };
  }

  const batch = spec.batch ? batchRule(spec.batch) : undefined;

  function sign({ secret, rawBody, id, timestampSeconds: seconds }: Parameters<SignatureScheme['sign']>[0]): Record<string, string> {
    const key = specKey(spec, secret);
    if (!key.ok || key.key.kind !== 'bytes') throw new Error(`crm-webhooks: cannot sign for this spec: ${key.ok ? 'a public key cannot sign' : key.reason}`);
    if (!signatureHeader) throw new Error('crm-webhooks: cannot sign a spec whose signature lives in the body');
    const raw = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, 'utf8');
    const headers: Record<string, string> = {};
    const timestamp = spec.timestamp ? formatTimestamp(seconds, spec.timestamp.format) : '';
    if (spec.timestamp?.from.startsWith('header:')) headers[spec.timestamp.from.slice(7)] = timestamp;
    const idHeader = spec.id?.find((l) => l.startsWith('header:'));
    if (idHeader) headers[idHeader.slice(7)] = id;
    const content = contentOf(spec.content, { rawBody: raw, timestamp, id, method: 'POST' }, headers, () => undefined);
    if (content === null) throw new Error('crm-webhooks: cannot sign: the spec signs a value this request does not have');
    const value = `${spec.signature.prefix ?? ''}${encodeDigest(digest(spec, key.key.bytes, content), spec.encoding)}`;
    const pairs = spec.signature.pairs;
    if (pairs) {
      const t = spec.timestamp?.from.startsWith('pair:') ? `${spec.timestamp.from.slice(5)}=${timestamp}${pairs.separator}` : '';
      headers[signatureHeader] = `${t}${pairs.key}=${value}`;
    } else {
      headers[signatureHeader] = value;
    }
    return headers;
  }

  function generateSecret(): string {
    const bytes = randomBytes(32);
    switch (spec.secret) {
      case 'base64':
        return bytes.toString('base64');
      case 'whsec':
        return `whsec_${bytes.toString('base64')}`;
      default:
        if (spec.algorithm === 'ecdsa-p256-sha256') throw new Error('crm-webhooks: this scheme verifies with the provider\'s public key: give it with --secret');
        return bytes.toString('hex');
    }
  }

  return Object.freeze({
    name: 'custom',
    spec,
    bodyType: spec.body,
    jsonFields,
    signsIdOrTimestamp: specSignsIdOrTimestamp(spec),
    relevantHeaders: Object.freeze(['content-type', ...headerNames]),
    signatureHeaders: Object.freeze(signatureHeader ? [signatureHeader] : []),
    verify,
    locate,
    ...(batch ? { batch } : {}),
    sign,
    generateSecret,
    checkSecret(secret: string) {
      const key = specKey(spec, secret);
      return key.ok ? null : key.reason;
    },
  } satisfies SpecScheme);
}

/** The spec's `batch` as the receive path uses it: item paths are read inside each item. */
function batchRule(batch: NonNullable<SignatureSpec['batch']>): BatchRule {
  const from = batch.from === 'body' ? [] : batch.from.slice(5).split('.');
  const ids = batch.id.map((p) => p.split('.'));
  const types = (batch.type ?? []).map((p) => p.split('.'));
  const first = (paths: readonly string[][], item: unknown) => {
    for (const path of paths) {
      const value = readBodyPath(item, path);
      if (value !== undefined && value !== null) return value;
    }
    return undefined;
  };
  return Object.freeze({
    maxItems: batch.maxItems,
    items(body: unknown) {
      const list = from.length === 0 ? body : readBodyPath(body, from);
      return Array.isArray(list) ? list : null;
    },
    locate: (_headers: RequestHeaders, item: unknown) => ({ id: first(ids, item), type: first(types, item) }),
  });
}

function verifyEcdsa(keys: readonly SpecKey[], content: readonly (string | Buffer)[], signatures: readonly Buffer[]): boolean {
  const data = Buffer.concat(content.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
  let found = false;
  for (const key of keys) {
    if (key.kind !== 'public') continue;
    for (const signature of signatures) {
      try {
        if (verifySignature('sha256', data, key.key, signature)) found = true;
      } catch {
        // A signature OpenSSL cannot parse is simply not a match.
      }
    }
  }
  return found;
}
