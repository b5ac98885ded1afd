import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { closeServer, idleCounters, listen, type VariantOptions, type VariantServer } from './common.js';

/**
 * The HTTP ceiling: what Koa itself costs on this machine for the same requests. It parses the JSON
 * body (as every receiver must) and answers 200, touching no database, so the plugin's figures can
 * be read as a fraction of what any Koa receiver could reach here.
 */
export async function startCeiling(options: VariantOptions): Promise<VariantServer> {
  const app = new Koa();
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '1mb' }));
  app.use((ctx) => {
    ctx.status = 200;
    ctx.body = { status: 'ok' };
  });
  const { server, port } = await listen(app.callback());
  return {
    port,
    counters: idleCounters(options.startedAtMs),
    tracking: null,
    close: () => closeServer(server),
  };
}
