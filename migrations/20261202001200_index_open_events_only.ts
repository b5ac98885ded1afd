import type { Knex } from 'knex';
import { dialectOptions } from '../plugin/store/migration-dialect.js';

const OPEN_COMMENT = 'event_id while the event is not done (pending, processing, dead), NULL once done; generated, never written';

/**
 * Issue 16: `(partner, event_id)` answered one question, "is this event still unfinished?" (the
 * dedupe prune may not delete the dedupe row of such an event), but it held an entry for every row,
 * at a random place (event ids are random). Pruning a done row cost a random page of it, the one
 * random index left: at 2,000,000 rows and a 128 MiB buffer pool the done prune ran at about half
 * the speed it reaches without it. `open_event_id` is a virtual column that holds the event id only
 * while the row is unfinished, so its index keeps done rows under (partner, NULL, id), in id order:
 * a done row's entry leaves its random place when the row becomes done (a page still warm from the
 * insert, in the common case), and the prune deletes entries in order. Adding a virtual column is
 * instant on InnoDB; building the index reads the table once (seconds per million rows).
 */
export async function up(knex: Knex): Promise<void> {
  const { mysql, binary } = await dialectOptions(knex);
  const open = "CASE WHEN status = 'done' THEN NULL ELSE event_id END";
  if (mysql) {
    const collate = binary ? `CHARACTER SET utf8mb4 COLLATE ${binary}` : '';
    await knex.raw(
      `ALTER TABLE webhook_outbox
         ADD COLUMN open_event_id VARCHAR(191) ${collate} AS (${open}) VIRTUAL COMMENT ?,
         ADD INDEX idx_webhook_outbox_open_event (partner, open_event_id),
         DROP INDEX idx_webhook_outbox_event`,
      [OPEN_COMMENT],
    );
    return;
  }
  await knex.raw(`ALTER TABLE webhook_outbox ADD COLUMN open_event_id TEXT GENERATED ALWAYS AS (${open}) VIRTUAL`);
  await knex.raw('CREATE INDEX idx_webhook_outbox_open_event ON webhook_outbox (partner, open_event_id)');
  await knex.raw('DROP INDEX idx_webhook_outbox_event');
}

export async function down(knex: Knex): Promise<void> {
  const { mysql } = await dialectOptions(knex);
  if (mysql) {
    await knex.raw(
      `ALTER TABLE webhook_outbox
         ADD INDEX idx_webhook_outbox_event (partner, event_id),
         DROP INDEX idx_webhook_outbox_open_event,
         DROP COLUMN open_event_id`,
    );
    return;
  }
  await knex.raw('CREATE INDEX idx_webhook_outbox_event ON webhook_outbox (partner, event_id)');
  await knex.raw('DROP INDEX idx_webhook_outbox_open_event');
  await knex.raw('ALTER TABLE webhook_outbox DROP COLUMN open_event_id');
}
