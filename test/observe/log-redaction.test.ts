import { Writable } from 'node:stream';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { defaultLogger } from '../../plugin/observe/logger.js';
import { knownSignatureHeaders } from '../../plugin/providers/partner-scheme.js';
import { startDemoHost, type DemoHost } from '../../scripts/demo/demo-host.js';
import { describeEachDatabase } from '../helpers/databases.js';
import { recordingLogger, type LogLine } from '../helpers/logger.js';
import { logText } from '../helpers/log-text.js';
import { post, signedPost, waitFor } from '../helpers/requests.js';
import { sendRaw } from '../hostile/raw-http.js';

const SECRET = 'redaction-secret-0123456789abcdef';
const MARKER = 'pii-marker-5be1c07a';

/** Makes every outbox insert fail with a database error, as a full disk or a broken table would. */
async function refuseOutboxInserts(knex: Knex, kind: string): Promise<() => Promise<void>> {
  if (kind === 'mysql') {
    await knex.raw("CREATE TRIGGER refuse_outbox BEFORE INSERT ON webhook_outbox FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'outbox refused'");
  } else {
    await knex.raw("CREATE TRIGGER refuse_outbox BEFORE INSERT ON webhook_outbox BEGIN SELECT RAISE(ABORT, 'outbox refused'); END");
  }
  return async () => {
    await knex.raw('DROP TRIGGER refuse_outbox');
  };
}

describeEachDatabase('log lines never carry bodies, SQL values, signatures or raw packets', (db) => {
  let host: DemoHost;
  let lines: LogLine[];
  const port = () => Number(new URL(host.origin).port);
  const logged = () => logText(lines);

  before(async () => {
    const logger = recordingLogger();
    lines = logger.lines;
    host = await startDemoHost({
      knex: db().knex,
      crmHandlers: false,
      plugin: { logger, processing: { maxAttempts: 1, pollIntervalMs: 20, maxPollIntervalMs: 100 } },
    });
    await host.plugin.partners.add({ slug: 'redact', secret: SECRET });
    await db().knex.schema.createTable('redaction_sink', (t) => t.string('note', 191).unique());
    await db().knex('redaction_sink').insert({ note: MARKER });
    // A handler whose write fails: the driver's message quotes the values it could not insert.
    host.plugin.on('sink.write', async (event, { trx }) => {
      await trx('redaction_sink').insert({ note: (event.payload as { note: string }).note });
    });
  });
  after(async () => host?.close());
  beforeEach(() => {
    lines.length = 0;
  });

  it('logs a failed commit by error class and code only, and answers 503', async () => {
    const restore = await refuseOutboxInserts(db().knex, db().kind);
    try {
      const answer = await post(`${host.origin}/plugins/webhooks/redact`, signedPost('hmac-sha256', SECRET, { id: 'commit-fails', note: MARKER }));
      expect(answer.status).to.equal(503);
    } finally {
      await restore();
    }
    const failure = lines.find((l) => l.msg === 'events could not be committed; answering 503');
    expect(failure, JSON.stringify(lines)).not.to.equal(undefined);
    expect(failure!.fields.err).to.have.property('type');
    expect(failure!.fields.err).to.have.property('code');
    expect(logged()).not.to.include(MARKER);
  });

  it('logs a handler whose database write failed by error class and code only', async () => {
    const request = signedPost('hmac-sha256', SECRET, { id: 'handler-fails', type: 'sink.write', note: MARKER });
    expect((await post(`${host.origin}/plugins/webhooks/redact`, request)).status).to.equal(202);
    const failure = await waitFor(() => lines.find((l) => l.fields.eventId === 'handler-fails' && l.level === 'warn'), 10_000, 'the failed attempt');
    expect(failure.fields).to.include({ outcome: 'dead' });
    expect(failure.fields.err).to.have.property('code');
    expect(failure.fields.err).not.to.have.property('message');
    expect(logged()).not.to.include(MARKER);
    expect(logged()).not.to.include(request.headers['x-webhook-signature']!);
    const stored = await db().knex('webhook_outbox').where({ event_id: 'handler-fails' }).first();
    expect(stored.last_error, 'the full reason stays in the outbox row for an admin').to.be.a('string').and.not.equal('');
  });

  it('logs a malformed HTTP request without its raw packet', async () => {
    const body = Buffer.from(`5\r\n{"a":\r\nzz\r\n${MARKER}\r\n0\r\n\r\n`, 'latin1');
    for (const path of ['/crm/contacts', '/plugins/webhooks/redact']) {
      await sendRaw(port(), {
        path,
        headers: [
          ['content-type', 'application/json'],
          ['transfer-encoding', 'chunked'],
          ['x-webhook-signature', `sha256=${MARKER}`],
        ],
        body,
      });
    }
    await waitFor(() => lines.find((l) => (l.fields.err as { code?: string } | undefined)?.code?.startsWith('HPE_')), 5000, 'the parse error to be logged');
    expect(logged()).not.to.include(MARKER);
  });
});

describe('the default logger', () => {
  it('redacts the raw packet of an HTTP parse error', () => {
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        output += chunk.toString();
        callback();
      },
    });
    const parseError = Object.assign(new Error('Parse Error: Invalid character in chunk size'), {
      code: 'HPE_INVALID_CHUNK_SIZE',
      rawPacket: Buffer.from(`POST / HTTP/1.1\r\nx-webhook-signature: ${MARKER}\r\n\r\n`),
    });
    const logger = defaultLogger(knownSignatureHeaders(), sink);
    logger.error({ err: parseError }, 'request failed');
    logger.error({ rawPacket: parseError.rawPacket }, 'request failed');
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, { rawPacket?: unknown }>);
    expect(lines).to.have.length(2);
    expect(lines[0]!.err!.rawPacket).to.equal('[redacted]');
    expect(lines[1]!.rawPacket).to.equal('[redacted]');
    expect(logText(lines)).not.to.include(MARKER);
  });
});
