import type { Knex } from 'knex';
import { dialectOptions, mysqlTableDefaults } from '../plugin/store/migration-dialect.js';

export async function up(knex: Knex): Promise<void> {
  const options = await dialectOptions(knex);
  const { binary } = options;
  await knex.schema.createTable('webhook_outbox', (t) => {
    mysqlTableDefaults(t, options);
    t.comment('crm-webhooks: one row per accepted event, written before the 202. Source of truth for processing: pending -> processing -> done, or back to pending with a delay, or dead after the last attempt.');
    t.bigIncrements('id').primary();
    const partner = t.string('partner', 64).notNullable().comment('webhook_partners.slug');
    const eventId = t.string('event_id', 191).notNullable().comment('the partner\'s event id');
    if (binary) {
      partner.collate(binary);
      eventId.collate(binary);
    }
    t.string('event_type', 191).nullable().comment('event type as the partner named it; NULL if it named none');
    t.text('payload', 'longtext').notNullable().comment('the body exactly as received (JSON)');
    t.text('headers').notNullable().comment('JSON of the signature-relevant request headers, signature values redacted');
    t.string('status', 16).notNullable().comment(
      'pending: waiting, due at next_attempt_at | processing: claimed by locked_by until locked_until | done: handlers committed | dead: gave up after the last attempt; UPDATE to pending to replay',
    );
    t.integer('attempts').unsigned().notNullable().defaultTo(0).comment('attempts started so far (a claim counts as one)');
    t.datetime('next_attempt_at', { precision: 3 }).notNullable().comment('UTC; a pending row is not claimed before this');
    t.string('locked_by', 128).nullable().comment('instance holding the claim (host:pid:random); NULL unless processing');
    t.datetime('locked_until', { precision: 3 }).nullable().comment('UTC; a processing row whose lease passed is taken back');
    t.text('last_error').nullable().comment('why the last attempt failed (truncated); NULL once done');
    t.datetime('received_at', { precision: 3 }).notNullable().comment('UTC; when the event was committed');
    t.datetime('processed_at', { precision: 3 }).nullable().comment('UTC; when it became done or dead');
    t.index(['status', 'next_attempt_at'], 'idx_webhook_outbox_claim');
    t.index(['status', 'partner'], 'idx_webhook_outbox_stats');
    t.index(['status', 'received_at'], 'idx_webhook_outbox_age');
    t.index(['partner', 'event_id'], 'idx_webhook_outbox_event');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_outbox');
}
