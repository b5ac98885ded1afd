import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { systemClock, type Clock } from '../../plugin/types.js';
import type { CliIo, CommandContext } from './context.js';
import { DEFAULT_DATABASE_URL, withDatabase } from './database.js';
import { resolveDatabaseUrl, withEnvFile } from './database-url.js';
import { describeFailure, EXIT_USAGE } from './failure.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerOutboxCommands } from './outbox-commands.js';
import { createOutput } from './output.js';
import { registerPartnerCommands } from './partner-commands.js';
import { registerPresetsCommand } from './presets-command.js';

const PROGRAM_HELP = `
Environment:
  DATABASE_URL          mysql://user:password@host:3306/database or sqlite:path/to/file.sqlite;
                        TLS: mysql://...?ssl=true (system CAs) or ?ssl-ca=/path/to/ca.pem
                        (required outside this repository; --demo: ${DEFAULT_DATABASE_URL})
  WEBHOOKS_SECRET_KEY   32-byte key (64 hex characters or base64) encrypting partner secrets at rest

Exit codes: 0 done, 1 failed, 2 usage error, 130 interrupted (Ctrl-C).`;

function packageVersion(): string {
  for (const candidate of ['../../../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next layout (compiled dist/ or sources)
    }
  }
  return 'unknown';
}

/**
 * Runs one command line and returns the exit code. Every failure becomes one line on stderr: our
 * own messages, commander's usage errors (help is not dumped on a mistake), and database errors.
 */
export async function runCli(argv: readonly string[], io: CliIo, clock: Clock = systemClock): Promise<number> {
  const state = { exitCode: 0, current: 'crm-webhooks' };
  const global = { demo: false };
  const ctx: CommandContext = {
    io,
    clock,
    withDatabase: (work) => withDatabase(resolveDatabaseUrl(ctx.io.env, { demo: global.demo, cwd: io.proc.cwd() }), work),
    output: (options) => createOutput(io, options.json === true),
    setExitCode: (code) => {
      state.exitCode = code;
    },
  };

  const program = new Command('crm-webhooks')
    .description('Manage the crm-webhooks plugin: its tables, partners and outbox, on the database in DATABASE_URL.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: () => undefined,
      outputError: () => undefined,
    })
    .showSuggestionAfterError(true)
    // Not --env-file: Node 20 takes that flag for itself even after the script's name.
    .option('--config <path>', 'an env file (KEY=VALUE lines, e.g. the host\'s .env) to read DATABASE_URL and WEBHOOKS_SECRET_KEY from; the environment wins')
    .option('--demo', 'without DATABASE_URL, use the demo\'s SQLite file')
    .addHelpText('after', PROGRAM_HELP)
    .hook('preAction', () => {
      const options = program.opts<{ config?: string; demo?: boolean }>();
      global.demo = options.demo === true;
      ctx.io = { ...io, env: withEnvFile(io.env, options.config, io.proc.cwd()) };
    });
  registerMigrateCommand(program, ctx);
  registerPresetsCommand(program, ctx);
  // Remembered so a usage error can point at the right --help.
  for (const command of [program, registerPartnerCommands(program, ctx), registerOutboxCommands(program, ctx)]) {
    command.hook('preSubcommand', (parent, sub) => {
      state.current = `${parent === program ? 'crm-webhooks' : `crm-webhooks ${parent.name()}`} ${sub.name()}`;
    });
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return 0; // --help, --version
    if (error instanceof CommanderError && error.code === 'commander.help') {
      io.stderr.write(`crm-webhooks: missing command (see: ${state.current} --help)\n`);
      return EXIT_USAGE;
    }
    const { line, exitCode } = describeFailure(error);
    const hint = error instanceof CommanderError ? ` (see: ${state.current} --help)` : '';
    io.stderr.write(`${line}${hint}\n`);
    return exitCode;
  }
}
