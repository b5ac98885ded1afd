import type { Knex } from 'knex';
import * as createPartners from '../../migrations/20261127000001_create_webhook_partners.js';
import * as createDedupe from '../../migrations/20261127000002_create_webhook_dedupe.js';
import * as createOutbox from '../../migrations/20261127000003_create_webhook_outbox.js';
import * as createLocks from '../../migrations/20261201000001_create_webhook_locks.js';
import * as addDedupeBodySha256 from '../../migrations/20261202000100_add_webhook_dedupe_body_sha256.js';
import * as addDedupeBodyIndex from '../../migrations/20261202000101_add_webhook_dedupe_body_index.js';
import * as addPartnersRevision from '../../migrations/20261202000102_add_webhook_partners_revision.js';
import * as indexOutboxForLists from '../../migrations/20261202000200_index_outbox_for_lists_and_sweeps.js';
import * as backfillProcessedAt from '../../migrations/20261202000201_backfill_outbox_processed_at.js';
import * as pinCollations from '../../migrations/20261202000202_pin_collations_and_comment_ids.js';
import * as addOutboxOrder from '../../migrations/20261202000500_add_webhook_outbox_order.js';
import * as createOrderMarks from '../../migrations/20261202000501_create_webhook_order_marks.js';
import * as indexAdminLists from '../../migrations/20261202000600_index_outbox_admin_lists.js';
import * as addHandlersStartedAt from '../../migrations/20261202000800_add_webhook_outbox_handlers_started_at.js';
import * as addPayloadFormat from '../../migrations/20261202001010_add_webhook_outbox_payload_format.js';
import * as dropEventIdIndex from '../../migrations/20261202001100_drop_webhook_outbox_event_id_index.js';
import * as indexOpenEventsOnly from '../../migrations/20261202001200_index_open_events_only.js';

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
  { name: '20261202000100_add_webhook_dedupe_body_sha256', ...addDedupeBodySha256 },
  { name: '20261202000101_add_webhook_dedupe_body_index', ...addDedupeBodyIndex },
  { name: '20261202000102_add_webhook_partners_revision', ...addPartnersRevision },
  { name: '20261202000200_index_outbox_for_lists_and_sweeps', ...indexOutboxForLists },
  { name: '20261202000201_backfill_outbox_processed_at', ...backfillProcessedAt },
  { name: '20261202000202_pin_collations_and_comment_ids', ...pinCollations },
  { name: '20261202000500_add_webhook_outbox_order', ...addOutboxOrder },
  { name: '20261202000501_create_webhook_order_marks', ...createOrderMarks },
  { name: '20261202000600_index_outbox_admin_lists', ...indexAdminLists },
  { name: '20261202000800_add_webhook_outbox_handlers_started_at', ...addHandlersStartedAt },
  { name: '20261202001010_add_webhook_outbox_payload_format', ...addPayloadFormat },
  { name: '20261202001100_drop_webhook_outbox_event_id_index', ...dropEventIdIndex },
  { name: '20261202001200_index_open_events_only', ...indexOpenEventsOnly },
]);
