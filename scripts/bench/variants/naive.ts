import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { openDatabase } from '../../../plugin/store/connect.js';
import { dialectOf } from '../../../plugin/store/dialect.js';
import { toDbTime } from '../../../plugin/store/time.js';
import { DEDUPE_TABLE, OUTBOX_TABLE } from '../tables.js';
import { closeServer, idleCounters, listen, type VariantOptions, type VariantServer } from './common.js';

/**
 * The receiver a team would write first: parse JSON, then one transaction per request inserting
 * the same dedupe and outbox rows the plugin inserts (same tables, same columns, same sizes), and
 * answer after commit. No signature check and no processing: it is the baseline the plugin's group
 * commit has to beat, so it is given every advantage except batching.
 */
export async function startNaive(options: VariantOptions): Promise<VariantServer> {
  // Same pool as the plugin's host gets from openDatabase(), so the comparison is about the code.
  const knex = openDatabase(options.databaseUrl);
  const dialect = dialectOf(knex);
  let reportedError = false;
  let inFlight = 0;

  const app = new Koa();
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '1mb' }));
  app.use(async (ctx) => {
    const partner = ctx.path.split('/').pop() ?? '';
    const body = ctx.request.body as { id?: unknown; type?: unknown } | undefined;
    const id = typeof body?.id === 'string' ? body.id : null;
    if (ctx.method !== 'POST' || !partner || !id) {
      ctx.status = 400;
      ctx.body = { error: 'bad_request' };
      return;
    }
    inFlight += 1;
    const now = toDbTime(Date.now());
    // The same stored-header shape as the plugin's (signature redacted), so rows weigh the same.
    const headers = JSON.stringify({
      'content-type': ctx.get('content-type'),
      'x-webhook-id': ctx.get('x-webhook-id'),
      'x-webhook-signature': '[redacted]',
    });
    try {
      await knex.transaction(async (trx) => {
        await trx(DEDUPE_TABLE).insert({ partner, event_id: id, received_at: now });
        await trx(OUTBOX_TABLE).insert({
          partner,
          event_id: id,
          event_type: typeof body?.type === 'string' ? body.type : null,
          payload: ctx.request.rawBody,
          headers,
          status: 'pending',
          attempts: 0,
          next_attempt_at: now,
          received_at: now,
        });
      });
      ctx.status = 202;
      ctx.body = { status: 'accepted', id };
    } catch (error) {
      if (dialect.isDuplicateKey(error)) {
        ctx.status = 200;
        ctx.body = { status: 'duplicate', id };
        return;
      }
      if (!reportedError) {
        // One line is enough to explain the non-2xx count the bench reports.
        reportedError = true;
        console.error(`naive receiver: commit failed: ${(error as Error).message}`);
      }
      ctx.status = 503;
      ctx.body = { error: 'store_unavailable' };
    } finally {
      inFlight -= 1;
    }
  });

  const { server, port } = await listen(app.callback());
  return {
    port,
    counters: idleCounters(options.startedAtMs),
    tracking: null,
    async close() {
      await closeServer(server);
      // Requests whose clients left (the load generator drops its connections at the end) are still
      // committing: let them finish rather than fail them by destroying the pool under them.
      for (const until = Date.now() + 10_000; inFlight > 0 && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 20));
      await knex.destroy();
    },
  };
}
