import { randomBytes } from 'node:crypto';
import { getScheme } from '../../plugin/signatures/index.js';

/** One request as the load generator sends it: a unique event, its body and its signed headers. */
export interface BenchRequest {
  id: string;
  body: Buffer;
  headers: Record<string, string>;
}

/** Hands out requests, pre-built ones first; builds more on the spot if the pre-built run out. */
export interface RequestSource {
  next(): BenchRequest;
  /** Requests built during the run because the pre-built ones ran out (signing cost load-generator CPU). */
  readonly builtLive: number;
}

/** Bodies are padded to this size: partners' events are typically around a kilobyte. */
export const BODY_BYTES = 1024;
const ID_BYTES = 12;
const ID_BATCH = 4096;

/**
 * Makes signed partner requests with unique, random event ids ("evt_" + 24 hex digits): random,
 * not sequential, because real event ids land all over the dedupe table's primary key.
 */
export function createRequestFactory(secret: string): { make(): BenchRequest; body(id: string): string } {
  const scheme = getScheme('hmac-sha256');
  const occurredAt = new Date().toISOString();
  let entropy = Buffer.alloc(0);
  let offset = 0;
  let serial = 0;

  const nextId = () => {
    if (offset + ID_BYTES > entropy.length) {
      entropy = randomBytes(ID_BYTES * ID_BATCH);
      offset = 0;
    }
    offset += ID_BYTES;
    return `evt_${entropy.toString('hex', offset - ID_BYTES, offset)}`;
  };

  const body = (id: string) => {
    serial += 1;
    const event = {
      id,
      type: 'contact.updated',
      occurred_at: occurredAt,
      data: {
        contact: {
          id: `ct_${serial % 100_000}`,
          email: `bench.contact+${serial % 100_000}@example.com`,
          name: 'Bench Contact',
          company: 'Example Trading Ltd',
          phone: '+44 20 7946 0000',
          tags: ['bench', 'load-test', 'webhooks'],
        },
        changes: { name: { from: 'Bench Contakt', to: 'Bench Contact' } },
        padding: '',
      },
    };
    const bare = JSON.stringify(event);
    event.data.padding = 'x'.repeat(Math.max(0, BODY_BYTES - Buffer.byteLength(bare)));
    return JSON.stringify(event);
  };

  return {
    body,
    make(): BenchRequest {
      const id = nextId();
      const text = body(id);
      const signed = scheme.sign({ secret, rawBody: text, id, timestampSeconds: Math.floor(Date.now() / 1000) });
      return { id, body: Buffer.from(text), headers: { 'content-type': 'application/json', ...signed } };
    },
  };
}

/**
 * A source over `prebuilt` requests made now, so that signing costs the load generator nothing
 * while it measures; past them it signs on the spot and counts how often it had to.
 */
export function createRequestSource(factory: { make(): BenchRequest }, prebuilt: number): RequestSource {
  const pool: Array<BenchRequest | undefined> = Array.from({ length: prebuilt }, () => factory.make());
  let index = 0;
  let builtLive = 0;
  return {
    next() {
      if (index < pool.length) {
        const request = pool[index]!;
        pool[index++] = undefined; // sent once: let it go, a big pool is tens of megabytes
        return request;
      }
      builtLive += 1;
      return factory.make();
    },
    get builtLive() {
      return builtLive;
    },
  };
}
