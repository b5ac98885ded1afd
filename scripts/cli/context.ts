import type { Readable, Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Clock } from '../../plugin/types.js';
import type { Database } from './database.js';
import type { Output } from './output.js';

/** The process's streams and environment, passed in so nothing below reads globals. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  proc: NodeJS.Process;
}

/** What every command module gets: I/O, the database on demand, and a way to set the exit code. */
export interface CommandContext {
  io: CliIo;
  clock: Clock;
  withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T>;
  output(options: { json?: boolean }): Output;
  setExitCode(code: number): void;
}

/** A subcommand that takes --json, as every command does (CONTRACT.md "CLI"). */
export function leafCommand(parent: Command, nameAndArgs: string, description: string): Command {
  return parent.command(nameAndArgs).description(description).option('--json', 'print the result as JSON on stdout, and nothing else there');
}
