import { performance } from 'node:perf_hooks';
import { VARIANT_NAMES, type ChildMessage, type ChildStats, type Op, type ParentMessage, type VariantName } from './protocol.js';
import { startVariant, type VariantServer } from './variants/index.js';
import { epochMs } from './variants/common.js';

/**
 * The server under test, in its own process (forked by the bench with the variant's name as its
 * argument and DATABASE_URL in its environment): the load generator must not share its CPU or
 * event loop, and its memory must be its own to be measured.
 */
const PEAK_SAMPLE_MS = 100;

async function main(): Promise<void> {
  const variant = process.argv[2] as VariantName;
  if (!VARIANT_NAMES.includes(variant)) throw new Error(`unknown variant "${String(variant)}"; expected one of ${VARIANT_NAMES.join(', ')}`);
  if (!process.send) throw new Error('the bench server must be started by the bench (child_process.fork), not directly');
  const send = (message: ChildMessage) => process.send?.(message);

  const startedAtMs = epochMs();
  const server = await startVariant(variant, { databaseUrl: process.env.DATABASE_URL ?? '', startedAtMs });

  // RSS polled here is only the fallback where /proc/<pid>/status (VmHWM) cannot be read.
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), PEAK_SAMPLE_MS);
  sampler.unref();

  const stats = (): ChildStats => {
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    return {
      pid: process.pid,
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      eluIdleMs: elu.idle,
      eluActiveMs: elu.active,
      rssBytes: rss,
      peakRssPolledBytes: peakRss,
      counters: server.counters(),
    };
  };

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(sampler);
    await server.close();
  };

  const answer = async (op: Op): Promise<unknown> => {
    switch (op) {
      case 'stats':
        return stats();
      case 'reset-peak':
        peakRss = process.memoryUsage.rss();
        return null;
      case 'track-start':
        return requireTracking(server, variant).start();
      case 'track-collect':
        return requireTracking(server, variant).collect();
      case 'stop':
        await stop();
        return null;
    }
  };

  process.on('message', (message: ParentMessage) => {
    answer(message.op).then(
      (value) => {
        send({ kind: 'reply', seq: message.seq, ok: true, value: value ?? null });
        // Exit only after the reply is out, so the parent sees the stop complete; exiting (rather
        // than waiting for handles to close) also writes the --cpu-prof profile.
        if (message.op === 'stop') process.disconnect();
      },
      (error: unknown) => send({ kind: 'reply', seq: message.seq, ok: false, error: (error as Error).message ?? String(error) }),
    );
  });
  // The parent went away (crashed or killed): do not linger as an orphan holding a port and a pool.
  process.on('disconnect', () => {
    void stop().finally(() => process.exit(0));
  });

  send({ kind: 'ready', port: server.port });
}

function requireTracking(server: VariantServer, variant: VariantName) {
  if (!server.tracking) throw new Error(`the ${variant} variant runs no handlers to track`);
  return server.tracking;
}

main().catch((error: unknown) => {
  console.error(`bench server: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
