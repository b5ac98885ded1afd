import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { RequestSource } from './requests.js';
import { createSamples, summarize, type LatencySummary } from './stats.js';

/** What one load run measured, from the load generator's side. */
export interface LoadSummary {
  /** Connections (closed loop) or null for a paced run. */
  connections: number | null;
  /** Requests per second offered (paced run) or null for a closed loop. */
  offeredPerSecond: number | null;
  durationSeconds: number;
  /** Closed loop: the busiest one-second sample of responses (autocannon's per-second histogram). */
  peakPerSecond: number | null;
  responses: number;
  accepted: number;
  acceptedPerSecond: number;
  non2xx: number;
  statusCounts: Record<string, number>;
  /** Connection errors and timeouts (no response at all). */
  errors: number;
  timeouts: number;
  /** Ack latency of 2xx responses: request written to response complete, in ms. */
  ackMs: LatencySummary;
  /** Requests that had to be signed during the run because the pre-built ones ran out. */
  builtLive: number;
  /** Paced runs: how late the most delayed send left compared with its schedule, in ms. */
  maxSendLagMs?: number;
}

export interface LoadRun {
  summary: LoadSummary;
  /** Event ids of every 2xx response, to check each has its committed row. */
  acceptedIds: string[];
  /** Paced runs: when each request was written (epoch ms, fractional), by event id. */
  sentAtMs?: Map<string, number>;
}

interface ClientContext {
  id?: string;
}

/**
 * Closed loop with autocannon: `connections` keep-alive connections, each sending its next request
 * as soon as the previous answer arrives, for `durationSeconds`. Each request takes the next
 * pre-built body and headers from `source`.
 */
export async function runClosedLoop(spec: { url: string | string[]; connections: number; durationSeconds: number; source: RequestSource }): Promise<LoadRun> {
  const latencies = createSamples();
  const acceptedIds: string[] = [];
  const statusCounts = new Map<number, number>();
  // Several urls: autocannon deals the connections round-robin over them (connection i → url i mod n).
  const { pathname } = new URL(Array.isArray(spec.url) ? spec.url[0]! : spec.url);

  // autocannon deep-clones this per connection; functions are kept by reference, so every
  // connection draws from the one source. The context is per connection and, with one request in
  // the list, fresh for every request: it carries the id from setupRequest to onResponse.
  const requests: autocannon.Request[] = [
    {
      method: 'POST',
      path: pathname,
      setupRequest(request, context) {
        const next = spec.source.next();
        (context as ClientContext).id = next.id;
        request.body = next.body;
        request.headers = next.headers;
        return request;
      },
      onResponse(status, _body, context) {
        const id = (context as ClientContext).id;
        if (status >= 200 && status < 300 && id !== undefined) acceptedIds.push(id);
      },
    },
  ];

  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: spec.url as string, connections: spec.connections, duration: spec.durationSeconds, requests, timeout: 10 },
      (error: unknown, value: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(value)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statusCounts.set(statusCode, (statusCounts.get(statusCode) ?? 0) + 1);
      if (statusCode >= 200 && statusCode < 300) latencies.add(responseTime);
    });
  });

  const responses = [...statusCounts.values()].reduce((a, b) => a + b, 0);
  const accepted = acceptedIds.length;
  return {
    acceptedIds,
    summary: {
      connections: spec.connections,
      offeredPerSecond: null,
      durationSeconds: result.duration,
      peakPerSecond: result.requests.max,
      responses,
      accepted,
      acceptedPerSecond: result.duration > 0 ? accepted / result.duration : 0,
      non2xx: responses - accepted,
      statusCounts: Object.fromEntries([...statusCounts].map(([code, n]) => [String(code), n])),
      errors: result.errors,
      timeouts: result.timeouts,
      ackMs: summarize(latencies.values()),
      builtLive: spec.source.builtLive,
    },
  };
}

/**
 * Open loop at a steady rate: request i leaves at start + i/rate whatever the earlier ones are
 * doing, as partners' deliveries do. autocannon's rate limit sends each second's quota in a burst
 * at the top of the second, which would measure queueing behind the burst instead of latency at
 * the rate; so this sends on its own schedule over keep-alive connections.
 */
export async function runPaced(spec: {
  url: string;
  ratePerSecond: number;
  durationSeconds: number;
  source: RequestSource;
  maxSockets?: number;
  timeoutMs?: number;
}): Promise<LoadRun> {
  const target = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.maxSockets ?? 64 });
  const total = Math.max(1, Math.round(spec.ratePerSecond * spec.durationSeconds));
  const intervalMs = 1000 / spec.ratePerSecond;
  const latencies = createSamples(total);
  const acceptedIds: string[] = [];
  const statusCounts = new Map<number, number>();
  let errors = 0;
  let timeouts = 0;
  let maxSendLagMs = 0;
  let inFlight = 0;
  let sent = 0;
  const sentAtMs = new Map<string, number>();

  const started = performance.now();
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const settle = () => {
    inFlight -= 1;
    if (sent === total && inFlight === 0) finish();
  };

  const send = () => {
    const next = spec.source.next();
    const sentAt = performance.now();
    sentAtMs.set(next.id, performance.timeOrigin + sentAt);
    maxSendLagMs = Math.max(maxSendLagMs, sentAt - (started + sent * intervalMs));
    sent += 1;
    inFlight += 1;
    let done = false;
    const request = httpRequest(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { ...next.headers, 'content-length': String(next.body.length) },
      },
      (response) => {
        response.resume();
        response.on('end', () => {
          if (done) return;
          done = true;
          const status = response.statusCode ?? 0;
          statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
          if (status >= 200 && status < 300) {
            latencies.add(performance.now() - sentAt);
            acceptedIds.push(next.id);
          }
          settle();
        });
      },
    );
    request.setTimeout(spec.timeoutMs ?? 10_000, () => {
      timeouts += 1;
      request.destroy(new Error('timeout'));
    });
    request.on('error', () => {
      if (done) return;
      done = true;
      errors += 1;
      settle();
    });
    request.end(next.body);
  };

  const tick = () => {
    const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
    while (sent < due) send();
    if (sent < total) setTimeout(tick, Math.max(0, started + sent * intervalMs - performance.now()));
  };
  tick();
  await finished;
  agent.destroy();

  const durationSeconds = spec.durationSeconds;
  const responses = [...statusCounts.values()].reduce((a, b) => a + b, 0);
  return {
    acceptedIds,
    sentAtMs,
    summary: {
      connections: null,
      offeredPerSecond: spec.ratePerSecond,
      durationSeconds,
      peakPerSecond: null,
      responses,
      accepted: acceptedIds.length,
      acceptedPerSecond: acceptedIds.length / durationSeconds,
      non2xx: responses - acceptedIds.length,
      statusCounts: Object.fromEntries([...statusCounts].map(([code, n]) => [String(code), n])),
      errors,
      timeouts,
      ackMs: summarize(latencies.values()),
      builtLive: spec.source.builtLive,
      maxSendLagMs,
    },
  };
}
