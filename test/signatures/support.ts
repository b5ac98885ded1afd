import fc from 'fast-check';
import { getScheme } from '../../plugin/signatures/index.js';
import type { RequestHeaders, SignatureScheme, VerifyRequest } from '../../plugin/signatures/types.js';
import type { BuiltInSchemeName as SchemeName } from '../../plugin/signatures/index.js';

/** A fixed "now" so no test depends on the wall clock. */
export const NOW_S = 1_700_000_000;
export const NOW_MS = NOW_S * 1000;
export const TOLERANCE = 300;
export const BODY = '{"id":"evt_1","type":"contact.created","data":{"name":"Ada"}}';

export interface SignedOptions {
  secret: string;
  body?: string | Buffer;
  id?: string;
  type?: string;
  timestampSeconds?: number;
}

/** A request exactly as a sender using `scheme.sign` would send it, verified at NOW_MS. */
export function signedRequest(scheme: SignatureScheme, options: SignedOptions): VerifyRequest {
  const rawBody = Buffer.from(options.body ?? BODY);
  const headers = scheme.sign({
    secret: options.secret,
    rawBody,
    id: options.id ?? 'evt_1',
    timestampSeconds: options.timestampSeconds ?? NOW_S,
    ...(options.type === undefined ? {} : { type: options.type }),
  });
  return {
    rawBody,
    headers: { 'content-type': 'application/json', ...headers },
    secrets: [options.secret],
    nowMs: NOW_MS,
    toleranceSeconds: TOLERANCE,
  };
}

export function withHeaders(request: VerifyRequest, changes: Record<string, string | string[] | undefined>): VerifyRequest {
  const headers: Record<string, string | string[] | undefined> = { ...request.headers, ...changes };
  for (const [name, value] of Object.entries(changes)) if (value === undefined) delete headers[name];
  return { ...request, headers };
}

export function header(headers: RequestHeaders, name: string): string {
  const value = headers[name];
  if (typeof value !== 'string') throw new Error(`test setup: no single ${name} header`);
  return value;
}

export function flipBit(bytes: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  const index = Math.floor(bit / 8) % copy.length;
  copy[index] = (copy[index] ?? 0) ^ (1 << bit % 8);
  return copy;
}

const flipHex = (hex: string, bit: number): string => flipBit(Buffer.from(hex, 'hex'), bit).toString('hex');

/** What the scheme-independent suites (properties, hostile input) need to know about each scheme. */
export interface SchemeCase {
  scheme: SignatureScheme;
  timestamped: boolean;
  signatureHeader: string;
  /** Headers whose values are covered by the signature. */
  signedHeaders: readonly string[];
  secret: fc.Arbitrary<string>;
  /** Whether two secrets give different HMAC keys (HMAC pads short keys with zero bytes). */
  keysDiffer(a: string, b: string): boolean;
  /** The header value with one bit of the signature itself flipped. */
  flipSignatureBit(value: string, bit: number): string;
  /** The headers with the signed timestamp replaced (timestamped schemes only). */
  setTimestamp(headers: RequestHeaders, seconds: number): RequestHeaders;
}

const plainSecret = fc.string({ minLength: 16, maxLength: 80 });
const plainKeysDiffer = (a: string, b: string): boolean => a !== b;
const noTimestamp = (headers: RequestHeaders): RequestHeaders => headers;
const stripTrailingZeros = (bytes: Buffer): string => bytes.toString('hex').replace(/(00)+$/, '');

function hexSignatureCase(name: 'hmac-sha256' | 'github', signatureHeader: string): SchemeCase {
  return {
    scheme: getScheme(name),
    timestamped: false,
    signatureHeader,
    signedHeaders: [signatureHeader],
    secret: plainSecret,
    keysDiffer: plainKeysDiffer,
    flipSignatureBit: (value, bit) => `sha256=${flipHex(value.slice(7), bit)}`,
    setTimestamp: noTimestamp,
  };
}

export const SCHEME_CASES: Readonly<Record<SchemeName, SchemeCase>> = {
  'hmac-sha256': hexSignatureCase('hmac-sha256', 'x-webhook-signature'),
  github: hexSignatureCase('github', 'x-hub-signature-256'),
  'standard-webhooks': {
    scheme: getScheme('standard-webhooks'),
    timestamped: true,
    signatureHeader: 'webhook-signature',
    signedHeaders: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
    secret: fc.uint8Array({ minLength: 16, maxLength: 64 }).map((b) => `whsec_${Buffer.from(b).toString('base64')}`),
    keysDiffer: (a, b) =>
      stripTrailingZeros(Buffer.from(a.slice(6), 'base64')) !== stripTrailingZeros(Buffer.from(b.slice(6), 'base64')),
    flipSignatureBit: (value, bit) => `v1,${flipBit(Buffer.from(value.slice(3), 'base64'), bit).toString('base64')}`,
    setTimestamp: (headers, seconds) => ({ ...headers, 'webhook-timestamp': String(seconds) }),
  },
  stripe: {
    scheme: getScheme('stripe'),
    timestamped: true,
    signatureHeader: 'stripe-signature',
    signedHeaders: ['stripe-signature'],
    secret: plainSecret.map((s) => `whsec_${s}`),
    keysDiffer: plainKeysDiffer,
    flipSignatureBit: (value, bit) => value.replace(/v1=([0-9a-f]{64})/, (_m, hex: string) => `v1=${flipHex(hex, bit)}`),
    setTimestamp: (headers, seconds) => ({
      ...headers,
      'stripe-signature': header(headers, 'stripe-signature').replace(/^t=\d+/, `t=${seconds}`),
    }),
  },
};

export const ALL_CASES: readonly SchemeCase[] = Object.values(SCHEME_CASES);
