import type { BenchContext } from '../context.js';
import type { VariantName } from '../protocol.js';
import type { ServerHandle } from '../server-handle.js';
import { createPeakRss, type PeakRss } from './window.js';

/** Runs `work` against a fresh server child and always stops the child, whatever happens. */
export async function withServer<T>(
  ctx: BenchContext,
  variant: VariantName,
  profileName: string,
  work: (server: ServerHandle, rss: PeakRss) => Promise<T>,
  pluginSettings?: object,
): Promise<{ value: T; lifetimePeakRssBytes: number; rssSource: string }> {
  const server = await ctx.startServer(variant, profileName, pluginSettings);
  try {
    const rss = createPeakRss(server);
    const value = await work(server, rss);
    await rss.read();
    return { value, lifetimePeakRssBytes: rss.lifetimePeak, rssSource: rss.source };
  } finally {
    await server.stop();
  }
}
