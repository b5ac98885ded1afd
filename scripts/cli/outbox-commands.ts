import { Option, type Command } from 'commander';
import { createOutboxAdmin, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, type OutboxAdmin } from '../../plugin/outbox/outbox-admin.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../plugin/types.js';
import { wholeNumber } from './arguments.js';
import { leafCommand, type CommandContext } from './context.js';
import { registerPruneCommand, registerReplayCommand } from './outbox-batch-commands.js';
import { formatRowDetail, formatRowList, formatStats } from './outbox-format.js';

interface JsonOption {
  json?: boolean;
}

/** `outbox ...`: thin wrappers over plugin/outbox/outbox-admin.ts. */
export function registerOutboxCommands(program: Command, ctx: CommandContext): Command {
  const outbox = program.command('outbox').description('inspect, replay and prune accepted events');
  const withAdmin = <T>(work: (admin: OutboxAdmin) => Promise<T>) => ctx.withDatabase((db) => work(createOutboxAdmin({ ...db, clock: ctx.clock })));

  leafCommand(outbox, 'stats', 'counts by status and partner, and the age of the oldest pending event')
    .option('--exact', 'count every done row too, however many (seconds on a table of millions)')
    .addHelpText('after', '\nA status with more than 50,000 rows (done, on a big table) is estimated from a sample of its index\nrows unless --exact: marked ≈ in the table; --json prints the same figures in the same shape.')
    .action(async (options: JsonOption & { exact?: boolean }) => {
      const report = await withAdmin((admin) => admin.statsReport({ exact: options.exact }));
      ctx.output(options).result(report.stats, (stats) => formatStats(stats, report.estimated));
    });

  leafCommand(outbox, 'list', 'list events, newest first (without payloads)')
    .addOption(new Option('--status <status>', 'only rows in this status').choices(OUTBOX_STATUSES))
    .option('--partner <slug>', 'only rows of this partner')
    .option('--limit <n>', `how many rows (at most ${MAX_LIST_LIMIT})`, wholeNumber(1, MAX_LIST_LIMIT), DEFAULT_LIST_LIMIT)
    .action(async (options: JsonOption & { status?: OutboxStatus; partner?: string; limit: number }) => {
      const rows = await withAdmin((admin) => admin.list({ status: options.status, partner: options.partner, limit: options.limit }));
      ctx.output(options).result(rows, formatRowList);
    });

  leafCommand(outbox, 'show', 'show one event with its headers (as stored, signatures redacted) and pretty-printed payload')
    .argument('<id>', 'the row id (see outbox list)', wholeNumber(1, Number.MAX_SAFE_INTEGER))
    .action(async (id: number, options: JsonOption) => {
      ctx.output(options).result(await withAdmin((admin) => admin.show(id)), formatRowDetail);
    });

  registerReplayCommand(outbox, ctx, withAdmin);
  registerPruneCommand(outbox, ctx, withAdmin);
  return outbox;
}
