import { Argument, Option, type Command } from 'commander';
import { DEFAULT_BATCH_SIZE, DEFAULT_PRUNE_STREAMS, MAX_PRUNE_STREAMS, type OutboxAdmin } from '../../plugin/outbox/outbox-admin.js';
import { collectIds, duration, wholeNumber } from './arguments.js';
import { leafCommand, type CommandContext } from './context.js';
import { CliFailure, EXIT_INTERRUPTED, usageError } from './failure.js';
import { watchInterrupt } from './interrupt.js';
import { plural } from './output.js';
import { createProgress, type ProgressReporter } from './progress.js';

type WithAdmin = <T>(work: (admin: OutboxAdmin) => Promise<T>) => Promise<T>;

/** The retention default (settings.ts retention.dedupeDays): the CLI cannot see a host's settings. */
const DEDUPE_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

const batchSizeOption = () =>
  new Option('--batch-size <n>', 'rows per short transaction').argParser(wholeNumber(1, 100_000)).default(DEFAULT_BATCH_SIZE);

const INTERRUPT_HELP = `
Works in short transactions of --batch-size rows, with a progress bar on a terminal. Ctrl-C stops
after the current batch and prints what was done (exit code 130); running it again continues.`;

/**
 * Runs a batched operation with progress on stderr and Ctrl-C wired to its abort signal; sets exit
 * code 130 when it was interrupted.
 */
async function batched<T extends { interrupted: boolean }>(
  ctx: CommandContext,
  json: boolean,
  run: (signal: AbortSignal, progress: ProgressReporter) => Promise<T>,
): Promise<T> {
  const interrupt = watchInterrupt(ctx.io.proc, ctx.io.stderr);
  const progress = createProgress(ctx.io.stderr, { json });
  try {
    const result = await run(interrupt.signal, progress);
    if (result.interrupted) ctx.setExitCode(EXIT_INTERRUPTED);
    return result;
  } finally {
    progress.stop();
    interrupt.dispose();
  }
}

interface ReplayOptions {
  json?: boolean;
  status?: 'dead';
  partner?: string;
  batchSize: number;
}

export function registerReplayCommand(outbox: Command, ctx: CommandContext, withAdmin: WithAdmin): void {
  leafCommand(outbox, 'replay', 'send events back to pending, due now: the given ids, or every dead one (--status dead)')
    .addArgument(new Argument('[ids...]', 'row ids to replay (see outbox list)').argParser(collectIds))
    .addOption(new Option('--status <status>', 'replay every row in this status instead of ids').choices(['dead']))
    .option('--partner <slug>', 'with --status: only this partner\'s rows')
    .addOption(batchSizeOption())
    .addHelpText('after', `\nOnly dead rows, and pending rows waiting for a retry, are replayed; done and processing rows are\nskipped with a reason (exit code 1 when any id was skipped). Attempts start again from 0.\n${INTERRUPT_HELP}`)
    .action(async (ids: number[] | undefined, options: ReplayOptions) => {
      const output = ctx.output(options);
      if (ids?.length && options.status) throw usageError('give either ids or --status dead, not both');
      if (!ids?.length && !options.status) throw usageError('give the ids to replay, or --status dead');
      if (options.partner !== undefined && !options.status) throw usageError('--partner goes with --status dead');
      if (ids?.length) {
        const result = await withAdmin((admin) => admin.replay(ids));
        output.result(result, (r) =>
          [
            r.replayed.length ? `Replayed ${plural(r.replayed.length, 'event')} (pending, due now): ${r.replayed.join(', ')}` : 'Replayed nothing.',
            ...r.skipped.map((s) => `Skipped ${s.id}: ${s.reason}`),
          ].join('\n'),
        );
        if (result.skipped.length) {
          const first = result.skipped[0]!;
          throw new CliFailure(`${result.skipped.length} of ${ids.length} ids not replayed (${first.id}: ${first.reason}${result.skipped.length > 1 ? ', ...' : ''})`);
        }
        return;
      }
      const result = await batched(ctx, output.json, (signal, progress) =>
        withAdmin((admin) =>
          admin.replayWhere(
            { status: 'dead', partner: options.partner },
            { batchSize: options.batchSize, signal, onProgress: (p) => progress.update('replaying dead events', p.done, p.total) },
          ),
        ),
      );
      output.result(result, (r) =>
        r.interrupted
          ? `Interrupted: replayed ${plural(r.replayed, 'dead event')} in ${plural(r.batches, 'batch', 'batches')}; run the command again to replay the rest.`
          : `Replayed ${plural(r.replayed, 'dead event')} in ${plural(r.batches, 'batch', 'batches')}; they are pending and due now.`,
      );
    });
}

export function registerPruneCommand(outbox: Command, ctx: CommandContext, withAdmin: WithAdmin): void {
  leafCommand(outbox, 'prune', 'delete done events and expired dedupe rows older than a duration')
    .requiredOption('--older-than <duration>', 'done events older than this go: 45s, 90m, 12h, 30d, 2w', duration)
    .option('--dedupe-window <duration>', 'dedupe rows are kept this long, and never less than --older-than (the retention default)', duration, DEDUPE_WINDOW_MS)
    .option('--dead-older-than <duration>', 'dead events that died longer ago than this go too (default: dead events stay)', duration)
    .addOption(batchSizeOption())
    .addOption(
      new Option('--streams <n>', 'batches deleted at once, each on its own connection; Ctrl-C lets each finish (SQLite: always 1)')
        .argParser(wholeNumber(1, MAX_PRUNE_STREAMS))
        .default(DEFAULT_PRUNE_STREAMS),
    )
    .addHelpText(
      'after',
      `\nPending and processing events are never deleted, dead ones only with --dead-older-than, and the dedupe\nrows of unfinished events never (so a redelivery of a dead event stays a duplicate). A pruned dedupe\nrow lets a redelivery of that event in again, so dedupe rows keep the dedupe window (30d unless\n--dedupe-window says otherwise) even when --older-than is shorter.\n${INTERRUPT_HELP}`,
    )
    .action(async (options: { json?: boolean; olderThan: number; dedupeWindow: number; deadOlderThan?: number; batchSize: number; streams: number }) => {
      const output = ctx.output(options);
      const result = await batched(ctx, output.json, (signal, progress) =>
        withAdmin((admin) =>
          admin.prune({
            doneOlderThanMs: options.olderThan,
            dedupeOlderThanMs: options.dedupeWindow,
            deadOlderThanMs: options.deadOlderThan,
            batchSize: options.batchSize,
            streams: options.streams,
            signal,
            onProgress: (p) => progress.update(`pruning ${p.table}`, p.done, p.total),
          }),
        ),
      );
      output.result(result, (r) => {
        const what = `${plural(r.outbox, options.deadOlderThan === undefined ? 'done outbox row' : 'done or dead outbox row')} and ${plural(r.dedupe, 'dedupe row')} in ${plural(r.batches, 'batch', 'batches')}`;
        return r.interrupted ? `Interrupted: deleted ${what}; run the command again to continue.` : `Deleted ${what}.`;
      });
    });
}
