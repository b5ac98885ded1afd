import type { Knex } from 'knex';
import * as createPartners from '../../migrations/20261127000001_create_webhook_partners.js';
import * as createDedupe from '../../migrations/20261127000002_create_webhook_dedupe.js';
import * as createOutbox from '../../migrations/20261127000003_create_webhook_outbox.js';
import * as createLocks from '../../migrations/20261201000001_create_webhook_locks.js';
import * as addOutboxOrder from '../../migrations/20261202000500_add_webhook_outbox_order.js';
import * as createOrderMarks from '../../migrations/20261202000501_create_webhook_order_marks.js';

export interface NamedMigration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Append-only and in order: knex records these names in `webhook_migrations`, and an applied
 * migration is never edited. The list is static (not a directory scan) so it works the same from
 * TypeScript sources, compiled JavaScript and a bundled host.
 */
export const webhookMigrations: readonly NamedMigration[] = Object.freeze([
  { name: '20261127000001_create_webhook_partners', ...createPartners },
  { name: '20261127000002_create_webhook_dedupe', ...createDedupe },
  { name: '20261127000003_create_webhook_outbox', ...createOutbox },
  { name: '20261201000001_create_webhook_locks', ...createLocks },
  { name: '20261202000500_add_webhook_outbox_order', ...addOutboxOrder },
  { name: '20261202000501_create_webhook_order_marks', ...createOrderMarks },
]);
