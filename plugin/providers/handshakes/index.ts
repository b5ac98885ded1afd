import { GRAPH_VALIDATION_TOKEN } from './graph-validation-token.js';
import type { Handshake, HandshakeKind } from './handshake.js';
import { META_HUB_CHALLENGE } from './meta-hub-challenge.js';
import { SLACK_URL_VERIFICATION } from './slack-url-verification.js';
import { X_CRC } from './x-crc.js';
import { ZOOM_URL_VALIDATION } from './zoom-url-validation.js';

export type { Handshake, HandshakeKind, HandshakeReply } from './handshake.js';

const HANDSHAKES: Readonly<Record<HandshakeKind, Handshake>> = Object.freeze({
  'slack-url-verification': SLACK_URL_VERIFICATION,
  'zoom-url-validation': ZOOM_URL_VALIDATION,
  'graph-validation-token': GRAPH_VALIDATION_TOKEN,
  'meta-hub-challenge': META_HUB_CHALLENGE,
  'x-crc': X_CRC,
});

export function getHandshake(kind: HandshakeKind): Handshake {
  return HANDSHAKES[kind];
}
