import type { Knex } from 'knex';

/**
 * Whether the host has destroyed (or is destroying) its knex pool. Hosts such as Strapi close the
 * database during their own shutdown, possibly while stop() still gives rows back; those failures
 * are expected then and are not errors (issue 11, item 3).
 */
export function isPoolClosed(knex: Knex): boolean {
  const pool = (knex.client as { pool?: { destroyed?: boolean } | undefined }).pool;
  return pool === undefined || pool.destroyed === true;
}
