import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Context } from 'koa';
import type { Registry } from 'prom-client';
import { ConfigError } from './errors.js';
import { applyRenamedSettings } from './renamed-settings.js';
import { settingsSchema, type Settings, type SettingsInput } from './settings.js';
import { createSecretBox, parseSecretKey, type SecretBox } from './secrets/secret-box.js';
import { adaptLogger, type HostLogger, type LoggerStyle } from './observe/logger-adapter.js';
import { systemClock, type Alert, type Clock, type Logger } from './types.js';

export interface PluginOptions extends SettingsInput {
  /** The host's own knex instance (mysql2 or better-sqlite3). */
  knex: Knex;
  /** pino, winston (Strapi's `strapi.log`), console or alike; default: a pino logger on stdout. */
  logger?: Logger | HostLogger;
  /** How `logger` takes a line, when the guess is wrong: `(fields, msg)` like pino or `(msg, meta)` like winston. */
  loggerStyle?: LoggerStyle;
  /** Prometheus registry to register the plugin's metrics on; default: a registry of the plugin's own. */
  metricsRegistry?: Registry;
  /** Decides whether a request may use the admin routes; without it they always answer 401. */
  authorize?: (ctx: Context) => boolean | Promise<boolean>;
  onAlert?: (alert: Alert) => void;
  clock?: Clock;
  /** Source of randomness for backoff jitter (tests pass a fixed one). */
  random?: () => number;
  /** Where WEBHOOKS_SECRET_KEY is read when `secretKey` is absent; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedConfig {
  settings: Settings;
  knex: Knex;
  logger: Logger | undefined;
  metricsRegistry: Registry | undefined;
  authorize: PluginOptions['authorize'];
  onAlert: PluginOptions['onAlert'];
  clock: Clock;
  random: () => number;
  instanceId: string;
  secretBox: SecretBox | null;
  /** One line per deprecated option name the host used; logged once the logger exists. */
  deprecations: string[];
}

/** Validates everything once, at creation, so a bad option fails the host's start with its name. */
export function resolveConfig(options: PluginOptions): ResolvedConfig {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options must be an object');
  const { knex, logger, loggerStyle, metricsRegistry, authorize, onAlert, clock, random, env, ...data } = options;
  if (typeof knex !== 'function' || typeof (knex as { client?: unknown }).client !== 'object') {
    throw new ConfigError('invalid option knex: pass the host\'s knex instance');
  }
  expectFunction('authorize', authorize);
  expectFunction('onAlert', onAlert);
  expectFunction('random', random);
  if (clock !== undefined && typeof clock?.now !== 'function') throw new ConfigError('invalid option clock: needs a now() function');
  if (logger !== undefined && ['info', 'warn', 'error'].some((m) => typeof (logger as unknown as Record<string, unknown>)[m] !== 'function')) {
    throw new ConfigError('invalid option logger: needs info, warn and error functions (pino, winston and console loggers have them)');
  }
  if (loggerStyle !== undefined && loggerStyle !== 'object-first' && loggerStyle !== 'message-first') {
    throw new ConfigError('invalid option loggerStyle: must be "object-first" (pino) or "message-first" (winston, console)');
  }

  const renamed = applyRenamedSettings(data as Record<string, unknown>);
  const parsed = settingsSchema.safeParse(renamed.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    const path = issue.path.join('.') || 'options';
    throw new ConfigError(`invalid option ${path}: ${issue.message}${keys}`);
  }
  const settings = parsed.data;
  if (settings.processing.claimMs <= settings.processing.handlerTimeoutMs) {
    // Otherwise another process could take an event whose handler is still running.
    throw new ConfigError('invalid option processing.claimMs: must be longer than processing.handlerTimeoutMs');
  }
  const keyText = settings.secretKey ?? (env ?? process.env).WEBHOOKS_SECRET_KEY;
  const secretBox = keyText ? createSecretBox(parseSecretKey(keyText, settings.secretKey ? 'option secretKey' : 'WEBHOOKS_SECRET_KEY')) : null;

  return {
    settings,
    knex,
    logger: logger === undefined ? undefined : adaptLogger(logger as HostLogger, loggerStyle),
    metricsRegistry,
    authorize,
    onAlert,
    clock: clock ?? systemClock,
    random: random ?? Math.random,
    instanceId: settings.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    secretBox,
    deprecations: renamed.warnings,
  };
}

function expectFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new ConfigError(`invalid option ${name}: must be a function`);
}
