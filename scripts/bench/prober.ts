import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * The CRM's own users during the storm phase: GETs of a host route at a steady rate (open loop,
 * evenly spaced), in a process of their own so that the load generator's busy event loop does not
 * delay them or their timing. Forked by the bench with <url> <rate per second> <seconds>; sends
 * back the latency of every answer (ms) over IPC and exits.
 */
export interface ProbeResult {
  latenciesMs: number[];
  statusCounts: Record<string, number>;
  errors: number;
}

const TIMEOUT_MS = 10_000;

async function probe(url: URL, ratePerSecond: number, seconds: number): Promise<ProbeResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const total = Math.max(1, Math.round(ratePerSecond * seconds));
  const intervalMs = 1000 / ratePerSecond;
  const latenciesMs: number[] = [];
  const statusCounts: Record<string, number> = {};
  let errors = 0;
  let settled = 0;
  let sent = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const done = () => {
      settled += 1;
      if (settled === total) resolve();
    };
    const send = () => {
      const at = performance.now();
      sent += 1;
      let finished = false;
      const finish = (status: number | null) => {
        if (finished) return;
        finished = true;
        if (status === null) errors += 1;
        else {
          statusCounts[status] = (statusCounts[status] ?? 0) + 1;
          latenciesMs.push(performance.now() - at);
        }
        done();
      };
      const req = request(url, { agent, method: 'GET' }, (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode ?? 0));
        res.on('error', () => finish(null));
      });
      req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error('timeout')));
      req.on('error', () => finish(null));
      req.end();
    };
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
      while (sent < due) send();
      if (sent < total) setTimeout(tick, Math.max(0, started + sent * intervalMs - performance.now()));
    };
    tick();
  });
  agent.destroy();
  return { latenciesMs, statusCounts, errors };
}

const [url, rate, seconds] = process.argv.slice(2);
if (!process.send || !url) {
  console.error('the prober is started by the bench (child_process.fork) with <url> <rate> <seconds>');
  process.exit(2);
}
probe(new URL(url), Number(rate), Number(seconds)).then(
  (result) => process.send!(result, () => process.exit(0)),
  (error: unknown) => {
    console.error(`prober: ${(error as Error).message}`);
    process.exit(1);
  },
);
