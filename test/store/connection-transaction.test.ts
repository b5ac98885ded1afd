import { expect } from 'chai';
import { createWebhooksPlugin } from '../../plugin/index.js';
import { inConnectionTransaction } from '../../plugin/store/connection-transaction.js';
import { dialectOf } from '../../plugin/store/dialect.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logger.js';

const insertDedupe = 'insert into `webhook_dedupe` (`partner`, `event_id`, `received_at`) values (?, ?, ?)';
const at = '2026-12-01 00:00:00.000';

describeEachDatabase("ingest's own transaction on a pooled connection", (db) => {
  before(async () => {
    await createWebhooksPlugin({ knex: db().knex, logger: recordingLogger() }).migrate();
  });

  const count = async (prefix: string) => Number((await db().knex('webhook_dedupe').where('event_id', 'like', `${prefix}%`).count({ n: '*' }))[0]!.n);

  it('commits every statement of the work together', async () => {
    const knex = db().knex;
    await inConnectionTransaction(knex, dialectOf(knex), async (session) => {
      await session.raw(insertDedupe, ['acme', 'ct_commit_1', at]);
      await session.raw(insertDedupe, ['acme', 'ct_commit_2', at]);
    });
    expect(await count('ct_commit_')).to.equal(2);
  });

  it('rolls back what the work wrote when it fails, rethrows its error and gives the connection back', async () => {
    const knex = db().open({ poolMax: 1 });
    try {
      const failure = await inConnectionTransaction(knex, dialectOf(knex), async (session) => {
        await session.raw(insertDedupe, ['acme', 'ct_rollback_1', at]);
        await session.raw(insertDedupe, ['acme', 'ct_rollback_1', at]); // duplicate key
      }).catch((error: unknown) => error);
      expect(dialectOf(knex).isDuplicateKey(failure)).to.equal(true);
      // The only connection of this pool was given back, with no transaction left open on it.
      await inConnectionTransaction(knex, dialectOf(knex), (session) => session.raw(insertDedupe, ['acme', 'ct_rollback_2', at]));
      expect(await count('ct_rollback_')).to.equal(1);
      expect(await knex('webhook_dedupe').where('event_id', 'ct_rollback_2').first()).to.not.equal(undefined);
    } finally {
      await knex.destroy();
    }
  });
});
