import { z } from 'zod';

/**
 * The plugin's data options: everything a host can put in a config file. The manifest's JSON Schema
 * is generated from this (scripts/write-manifest.ts) and a test keeps the two equal.
 */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

const receive = z
  .object({
    bodyLimitBytes: int(1, 64 * 1024 * 1024).default(1024 * 1024).describe('Largest body accepted; larger gets 413 without reading further.'),
    bodyTimeoutMs: int(100).default(10_000).describe('Time allowed to read a whole body; a slower client gets 408.'),
    maxJsonDepth: int(1, 10_000).default(64).describe('Deepest JSON nesting accepted in a body.'),
    defaultToleranceSeconds: int(1).default(300).describe('Signed timestamps may be this far from now, both ways (partners may override).'),
    retryAfterSeconds: int(1).default(5).describe('Retry-After sent with 503.'),
    trustedProxies: z.array(z.string()).default([]).describe('CIDRs of proxies whose X-Forwarded-For is believed when checking IP allowlists.'),
    maxHeaderCount: int(1).default(100).describe('Requests with more headers are refused with 400.'),
    commitTimeoutMs: int(1).default(10_000).describe('A request whose event is not committed within this time gets 503 (a frozen or exhausted database), whatever the host pool\'s acquire timeout.'),
    maxUnverifiedBytes: int(1).default(64 * 1024 * 1024).describe('Bytes of bodies held before their signature is checked, across all requests; past it requests get 503 before more is read.'),
    maxUnverifiedBytesPerPartner: int(1).default(32 * 1024 * 1024).describe('The same, for the requests to one partner slug, so a flood aimed at one partner leaves the others served.'),
    maxEventLoopDelayMs: int(0, 60_000).default(100).describe('Past this event-loop delay new webhooks get 503 + Retry-After before their body is read, and no new work is claimed, so the host stays responsive; 0 turns this off.'),
  })
  .prefault({});

const ingest = z
  .object({
    maxBatchSize: int(1, 1000).default(200).describe('Most events committed in one shared transaction.'),
    maxWaiting: int(1).default(5000).describe('Events waiting for a commit beyond which requests get 503.'),
    maxWaitingBytes: int(1).default(64 * 1024 * 1024).describe('Bytes of bodies waiting for a commit beyond which requests get 503 (bounds memory under a burst of large bodies).'),
    maxBatchBytes: int(1).default(8 * 1024 * 1024).describe('A shared commit stops growing at this many bytes of bodies.'),
    maxConcurrentCommits: int(1, 64).default(1).describe('Commit transactions in flight at once; requests arriving meanwhile wait for the next one and share it.'),
    deadlockRetries: int(0, 20).default(3).describe('Times a batch is retried after a deadlock before answering 503.'),
  })
  .prefault({});

const backoff = z
  .object({
    initialMs: int(1).default(10_000).describe('Delay before the first retry.'),
    factor: z.number().min(1).default(2).describe('Each retry waits this many times longer than the one before.'),
    maxMs: int(1).default(6 * 60 * 60 * 1000).describe('Longest delay between attempts.'),
    jitter: z.number().min(0).max(1).default(0.2).describe('Fraction of each delay drawn at random, so retries of a burst spread out.'),
  })
  .prefault({});

const processing = z
  .object({
    concurrency: int(1, 1000).default(8).describe('Handlers running at once in this process.'),
    memoryQueueLimit: int(1).default(1000).describe('Events held in memory; beyond it they wait in the outbox for the poller.'),
    handlerTimeoutMs: int(1).default(30_000).describe('A handler running longer fails its attempt.'),
    claimMs: int(1000).default(60_000).describe('How long a claim lasts; a row whose process died is retried after it.'),
    maxAttempts: int(1, 1000).default(10).describe('Attempts before an event is dead.'),
    backoff,
    pollIntervalMs: int(1).default(200).describe('Poll interval while there is work.'),
    maxPollIntervalMs: int(1).default(2000).describe('Longest idle poll interval (idle polling backs off to it).'),
    claimBatchSize: int(1, 10_000).default(100).describe('Rows one poll claims at most.'),
    batchSize: int(1, 500).default(50).describe('Most events one worker runs in one shared transaction while handlers are quick; if one fails, the others run again alone. 1 gives every event its own transaction.'),
    stopTimeoutMs: int(0).default(10_000).describe('stop() waits this long for running handlers, then releases their rows.'),
  })
  .prefault({});

const retention = z
  .object({
    enabled: z.boolean().default(true).describe('Prune in the background (one process at a time); false leaves the tables growing until `outbox prune`.'),
    dedupeDays: z.number().positive().default(30).describe('Dedupe rows are kept this many days, and never fewer than doneDays; those of unfinished events stay while their outbox row does.'),
    doneDays: z.number().positive().default(7).describe('Done outbox rows are kept this many days.'),
    deadDays: z.number().positive().optional().describe('Dead outbox rows that died this many days ago are deleted too; unset (the default) keeps them until replayed or pruned by hand.'),
    intervalMs: int(1000).default(60 * 60 * 1000).describe('Time between background prunes.'),
    batchSize: int(1, 100_000).default(1000).describe('Rows deleted per short transaction.'),
  })
  .prefault({});

const health = z
  .object({
    maxPendingAgeSeconds: z.number().positive().default(600).describe('/_health answers 503 when a pending event has been due for longer than this without being processed (a retry waiting for its backoff is not late).'),
    timeoutMs: int(1).default(1000).describe('/_health answers 503 when the database takes longer; also bounds the database figures of /_metrics and of alerts (the server stops such a query after it too).'),
    cacheMs: int(0, 60_000).default(1000).describe('/_health and /_metrics reuse database figures read less than this long ago, so a flood of probes costs one query per period.'),
  })
  .prefault({});

const alerts = z
  .object({
    oldestPendingSeconds: z.number().positive().optional().describe('Alert when a pending event has been due for longer than this without being processed (every process).'),
    deadRowsAdded: int(1).optional().describe('Alert when this many rows went dead within the window (every process).'),
    failureRatio: z.number().min(0).max(1).optional().describe('Alert when this fraction of this process\'s attempts failed within the window.'),
    oldestBlockedKeySeconds: z.number().positive().optional().describe('Alert when an ordered partner\'s event has waited this long behind a failed earlier event of its key (every process).'),
    minAttempts: int(1).default(10).describe('The failure-ratio alert needs at least this many attempts within the window.'),
    windowSeconds: z.number().positive().default(300).describe('The window the dead-row and failure-ratio alerts look at.'),
    checkIntervalMs: int(100).default(15_000).describe('How often the alert conditions are evaluated.'),
  })
  .prefault({});

export const settingsSchema = z
  .object({
    instanceId: z.string().min(1).max(128).optional().describe('Names this process in locked_by; default host:pid:random.'),
    secretKey: z.string().optional().describe('32-byte key (64 hex or base64) encrypting partner secrets; default WEBHOOKS_SECRET_KEY.'),
    partnerCacheMs: int(0, 500).default(400).describe('Partner changes reach this process within twice this time plus one query.'),
    logBodies: z.boolean().default(false).describe('Log payload bodies of rejected requests and failed attempts (debug only).'),
    authorizeHealthAndMetrics: z.boolean().default(false).describe('Answer /_health and /_metrics only when authorize(ctx) allows the request (permission webhooks.observe.read); default: public.'),
    receive,
    ingest,
    processing,
    retention,
    health,
    alerts,
  })
  .strict();

export type SettingsInput = z.input<typeof settingsSchema>;
export type Settings = z.output<typeof settingsSchema>;
