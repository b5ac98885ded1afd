import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import type { VariantCounters } from '../protocol.js';
import { closeServer, epochMs, listen, type VariantOptions, type VariantServer } from './common.js';

/** Where the bench expects Redis: the machine's own, as in CI. */
export const REDIS = { host: '127.0.0.1', port: 6379 } as const;

/**
 * What a Node developer builds instead of the plugin: Koa and koa-bodyparser, the same HMAC over
 * the raw body (constant-time compare), then `queue.add(type, payload, { jobId: eventId })` on Redis
 * with BullMQ, answering 202 once the add resolved, and a BullMQ worker consuming in the same
 * process (as the plugin's dispatcher does). What it guarantees: the job is in Redis's memory when
 * the 202 leaves (this Redis keeps nothing on disk), and a redelivered event id is dropped by the
 * jobId only while its job is still kept in Redis.
 */
export async function startBullmq(options: VariantOptions): Promise<VariantServer> {
  const secret = process.env.BENCH_PARTNER_SECRET ?? '';
  if (!secret) throw new Error('the bullmq variant needs BENCH_PARTNER_SECRET');
  const key = Buffer.from(secret, 'utf8');
  // One queue per run: the bench never touches keys it did not create, and obliterates them at the end.
  const name = `crmwh-bench-${randomBytes(4).toString('hex')}`;
  // BullMQ requires maxRetriesPerRequest: null on the worker's blocking connection.
  const connection = { ...REDIS, maxRetriesPerRequest: null };
  const queue = new Queue(name, { connection });
  await queue.waitUntilReady();
  const counters: VariantCounters = { startedAtMs: options.startedAtMs, handled: 0, firstHandledAtMs: null, lastHandledAtMs: null };
  const worker = new Worker(
    name,
    async () => {
      const now = epochMs();
      counters.handled += 1;
      counters.firstHandledAtMs ??= now;
      counters.lastHandledAtMs = now;
    },
    { connection, concurrency: 8 },
  );
  await worker.waitUntilReady();

  const app = new Koa();
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '1mb' }));
  app.use(async (ctx) => {
    const given = String(ctx.get('x-webhook-signature')).replace(/^sha256=/, '');
    const expected = createHmac('sha256', key).update(ctx.request.rawBody).digest();
    const givenBytes = Buffer.from(given, 'hex');
    if (givenBytes.length !== expected.length || !timingSafeEqual(givenBytes, expected)) {
      ctx.status = 401;
      ctx.body = { error: 'signature_invalid' };
      return;
    }
    const body = ctx.request.body as { id?: unknown; type?: unknown } | undefined;
    if (typeof body?.id !== 'string' || typeof body.type !== 'string') {
      ctx.status = 400;
      ctx.body = { error: 'missing_event_id' };
      return;
    }
    try {
      await queue.add(body.type, body, { jobId: body.id });
    } catch {
      ctx.status = 503;
      ctx.body = { error: 'queue_unavailable' };
      return;
    }
    ctx.status = 202;
    ctx.body = { status: 'accepted', id: body.id };
  });

  const { server, port } = await listen(app.callback());
  return {
    port,
    counters: () => ({ ...counters }),
    tracking: null,
    async close() {
      await closeServer(server);
      await worker.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    },
  };
}
