import type { Command } from 'commander';
import { migrateLatest } from '../../plugin/store/migrate.js';
import { leafCommand, type CommandContext } from './context.js';
import { plural } from './output.js';

export function registerMigrateCommand(program: Command, ctx: CommandContext): void {
  leafCommand(program, 'migrate', 'apply pending migrations (creates or updates the webhook_* tables)').action(async (options: { json?: boolean }) => {
    const applied = await ctx.withDatabase((db) => migrateLatest(db.knex, db.dialect));
    ctx.output(options).result({ applied }, () =>
      applied.length === 0 ? 'The database is up to date: no pending migrations.' : [`Applied ${plural(applied.length, 'migration')}:`, ...applied.map((n) => `  ${n}`)].join('\n'),
    );
  });
}
