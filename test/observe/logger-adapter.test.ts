import { Console } from 'node:console';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { adaptLogger, detectLoggerStyle } from '../../plugin/observe/logger-adapter.js';
import { resolveConfig } from '../../plugin/config.js';
import { createTestDatabase } from '../helpers/databases.js';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

/**
 * winston's calling convention as Strapi's `strapi.log` has it: `info(message, meta)`, with a
 * `log` method and transports. The first argument is turned into the message with String(), which
 * is how "[object Object]" reached Strapi's console.
 */
function winstonLike() {
  const lines: Array<{ level: string; message: string; meta: unknown }> = [];
  const at = (level: string) => (message: unknown, meta?: unknown) => lines.push({ level, message: String(message), meta });
  return { lines, logger: { transports: [], log: () => undefined, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => undefined } };
}

describe('logger adapter', () => {
  it('passes a pino logger through: fields and message land in the JSON line', async () => {
    const out = capture();
    const logger = adaptLogger(pino(out.stream));
    logger.child({ component: 'crm-webhooks' }).info({ partner: 'acme' }, 'webhook request refused');
    await new Promise((resolve) => setImmediate(resolve));
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    expect(line).to.include({ component: 'crm-webhooks', partner: 'acme', msg: 'webhook request refused' });
  });

  it('gives a winston-style logger the message first and the fields as meta, never [object Object]', () => {
    const { lines, logger } = winstonLike();
    expect(detectLoggerStyle(logger)).to.equal('message-first');
    const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    adaptLogger(logger).child({ component: 'crm-webhooks' }).error({ partner: 'acme', err: error }, 'webhook request failed');
    expect(lines).to.have.length(1);
    expect(lines[0]!.message).to.equal('webhook request failed');
    expect(lines[0]!.meta).to.deep.equal({ component: 'crm-webhooks', partner: 'acme', err: { name: 'Error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' } });
  });

  it('prints readable lines through a console', () => {
    const out = capture();
    const logger = adaptLogger(new Console({ stdout: out.stream, stderr: out.stream }));
    logger.child({ component: 'crm-webhooks' }).warn({ partner: 'acme' }, 'webhook request refused');
    expect(out.text()).to.contain('webhook request refused').and.to.contain("partner: 'acme'").and.not.to.contain('[object Object]');
  });

  it('follows loggerStyle when the guess would be wrong', () => {
    const { lines, logger } = winstonLike();
    const plainObject = { info: logger.info, warn: logger.warn, error: logger.error };
    expect(detectLoggerStyle(plainObject)).to.equal('object-first');
    adaptLogger(plainObject, 'message-first').info({ n: 1 }, 'started');
    expect(lines[0]).to.deep.include({ message: 'started', meta: { n: 1 } });
  });

  it('accepts Strapi\'s logger as the logger option, and refuses one without info/warn/error', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const { lines, logger } = winstonLike();
      resolveConfig({ knex: db.knex, logger }).logger!.info({ a: 1 }, 'hello');
      expect(lines[0]).to.deep.include({ message: 'hello', meta: { a: 1 } });
      expect(() => resolveConfig({ knex: db.knex, logger: { info: () => undefined } as never })).to.throw(/invalid option logger: needs info, warn and error/);
    } finally {
      await db.destroy();
    }
  });
});
