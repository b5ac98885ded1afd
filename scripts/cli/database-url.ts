import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { DEFAULT_DATABASE_URL } from '../../plugin/store/connect.js';
import { CliFailure } from './failure.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The environment the commands see: the process's own, over an env file's (as dotenv does: what is
 * already set wins). Lets the CLI read the host's own .env for DATABASE_URL and WEBHOOKS_SECRET_KEY.
 */
export function withEnvFile(env: Env, configFile: string | undefined, cwd: string): Env {
  if (configFile === undefined) return env;
  let text: string;
  try {
    text = readFileSync(resolve(cwd, configFile), 'utf8');
  } catch (error) {
    throw new CliFailure(`cannot read the --config file ${configFile}: ${(error as Error).message}`, 2, { cause: error });
  }
  return { ...parseEnv(text), ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')) };
}

/**
 * DATABASE_URL, or the demo's SQLite file only where that is what is meant: with --demo, or inside
 * this repository (where `npm start` keeps its data). Inside a host project, inventing a database
 * made `partner add` write to a file the host never reads, while the host kept answering 404.
 */
export function resolveDatabaseUrl(env: Env, options: { demo: boolean; cwd: string }): string {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (options.demo || insideThisRepository(options.cwd)) return DEFAULT_DATABASE_URL;
  throw new CliFailure(
    'DATABASE_URL is not set: point it at the host\'s database (the one its knex uses), or pass --config with the host\'s .env; ' +
      `--demo uses the demo's SQLite file (${DEFAULT_DATABASE_URL})`,
    2,
  );
}

function insideThisRepository(cwd: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { name?: unknown }).name === 'crm-webhooks';
  } catch {
    return false;
  }
}
