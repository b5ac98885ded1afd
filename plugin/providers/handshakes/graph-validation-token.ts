import { queryToken, type Handshake } from './handshake.js';

/**
 * Microsoft Graph validates a subscription's URL with `POST ?validationToken=…` (unsigned, empty
 * text/plain body) and wants the token back as text/plain within 10 s (3 s for some resources).
 * https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks#notificationurl-validation
 */
export const GRAPH_VALIDATION_TOKEN: Handshake = Object.freeze({
  kind: 'graph-validation-token',
  stage: 'unsigned',
  method: 'POST',
  summary: 'POST ?validationToken= (unsigned): echoes the token as text/plain',
  answer({ query }) {
    if (!query.has('validationToken')) return null;
    return { status: 200, type: 'text', body: queryToken(query, 'validationToken') };
  },
} satisfies Handshake);
