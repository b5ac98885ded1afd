import { WebhookError } from '../../errors.js';

/** The handshakes a provider demands before it sends events; a preset names one by kind. */
export type HandshakeKind = 'slack-url-verification' | 'zoom-url-validation' | 'graph-validation-token' | 'meta-hub-challenge' | 'x-crc';

export interface HandshakeInput {
  method: string;
  query: URLSearchParams;
  /** The decoded body, only for handshakes answered after the signature check; else undefined. */
  body: unknown;
  /** The partner's active secrets, newest first. */
  secrets: readonly string[];
  presetSettings: Readonly<Record<string, string>>;
}

export interface HandshakeReply {
  status: 200;
  /** `text` is sent as text/plain (Graph and Meta want the token echoed bare). */
  type: 'json' | 'text';
  body: string | Record<string, string>;
}

export interface Handshake {
  readonly kind: HandshakeKind;
  /** `unsigned`: answered before the body is read or verified (the provider signs nothing); `signed`: only after verification. */
  readonly stage: 'unsigned' | 'signed';
  /** A GET handshake makes the receive route answer GET for the partner. */
  readonly method: 'GET' | 'POST';
  /** For `presets`: what is answered. */
  readonly summary: string;
  /** null: this request is not the handshake (an ordinary event follows). */
  answer(input: HandshakeInput): HandshakeReply | null;
}

/** Echoed tokens are bounded: no provider sends more, and an echo must not become a free reflector. */
export const MAX_TOKEN_LENGTH = 1024;

/** A token taken from the query: present, of sane length, printable ASCII; else a 400. */
export function queryToken(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === '') throw new WebhookError(400, 'bad_request', `the handshake needs the ${name} query parameter`);
  if (value.length > MAX_TOKEN_LENGTH || !/^[\x20-\x7e]+$/.test(value)) {
    throw new WebhookError(400, 'bad_request', `the ${name} query parameter must be at most ${MAX_TOKEN_LENGTH} printable ASCII characters`);
  }
  return value;
}
