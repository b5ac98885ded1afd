import type { Knex } from 'knex';
import { DEDUPE_TABLE, OUTBOX_TABLE } from './outbox-insert.js';

/**
 * The ids of the outbox rows of one event id, under one partner or under every partner that has
 * rows. Nothing indexes event_id for every row (migration 20261202001200: a random index over every
 * row made each pruned row cost a random page), so an event is found in two ways, each a few index
 * dives:
 * - an unfinished event (pending, processing, dead) through idx_webhook_outbox_open_event
 *   (partner, open_event_id);
 * - a done event through its dedupe row (primary key (partner, event_id)), whose received_at is the
 *   outbox row's (both are written in one statement pair with one time), then
 *   idx_webhook_outbox_received. Dedupe rows are kept at least as long as done rows, so every done
 *   row has one, unless someone deleted dedupe rows by hand ahead of their window.
 * The partners come from a loose scan of the first column of (partner, id), one dive per partner
 * on MySQL/MariaDB, so partners deleted since their events came are included.
 */
export async function idsWithEventId(knex: Knex, eventId: string, partner: string | undefined): Promise<number[]> {
  const partners = partner !== undefined ? [partner] : (await knex(OUTBOX_TABLE).select('partner').groupBy('partner')).map((r: { partner: string }) => r.partner);
  if (partners.length === 0) return [];
  const open: Array<{ id: number | string }> = await knex(OUTBOX_TABLE).select('id').whereIn('partner', partners).andWhere('open_event_id', eventId);
  const done: Array<{ id: number | string }> = await knex({ d: DEDUPE_TABLE })
    .join({ o: OUTBOX_TABLE }, (on) => on.on('o.received_at', 'd.received_at').andOn('o.partner', 'd.partner').andOn('o.event_id', 'd.event_id'))
    .select('o.id')
    .whereIn('d.partner', partners)
    .andWhere('d.event_id', eventId)
    .andWhere('o.status', 'done');
  return [...new Set([...open, ...done].map((r) => Number(r.id)))];
}
