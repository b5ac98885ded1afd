import type { CorpusContext, HostileCase } from './corpus.js';
import { acceptedEdgeCases } from './families/accepted.js';
import { deepNesting, invalidUtf8, malformedJson } from './families/bodies.js';
import { badEventIds, badEventTypes, headerFlood } from './families/fields.js';
import { precedence } from './families/precedence.js';
import { contentTypes, disabledPartner, malformedHttp, otherMethods, oversizedBodies, unknownPartners } from './families/routing.js';
import { badSignatures, badTimestamps } from './families/signatures.js';

/** Every family of the hostile corpus, generated afresh (new event ids) for each round. */
export function generateCorpus(context: CorpusContext): HostileCase[] {
  return [
    ...unknownPartners(context),
    ...disabledPartner(context),
    ...contentTypes(context),
    ...oversizedBodies(context),
    ...badSignatures(context),
    ...badTimestamps(context),
    ...malformedJson(context),
    ...invalidUtf8(context),
    ...deepNesting(context),
    ...badEventIds(context),
    ...badEventTypes(context),
    ...headerFlood(context),
    ...precedence(context),
    ...malformedHttp(context),
    ...otherMethods(context),
    ...acceptedEdgeCases(context),
  ];
}
