import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';

/** How long a KILL QUERY, and then the rollback, may take before the connection is destroyed instead. */
const GIVE_UP_MS = 5000;

interface DriverConnection {
  threadId?: number;
  destroy?: () => void;
}

/**
 * Ends the transaction of an attempt that failed, timed out or was stopped, and makes sure its
 * connection never goes back to the pool busy (issue 9, item 6). When the handler may still be
 * running a statement (`interrupt`: timeout or stop), MySQL/MariaDB gets `KILL QUERY <thread>` on a
 * separate connection (knex opens it outside the pool, so a full pool cannot block it); the queued
 * ROLLBACK then runs at once. If the kill or the rollback does not finish in time, or fails, the
 * connection is destroyed: the pool validates connections on acquire and discards a dead one.
 * SQLite runs statements synchronously, so nothing can be running there. Never throws.
 */
export async function abandonTransaction(knex: Knex, trx: Knex.Transaction, dialect: Dialect, options: { interrupt: boolean }): Promise<void> {
  const connection = dialect.name === 'mysql' ? await connectionOf(trx) : undefined;
  if (options.interrupt && connection?.threadId !== undefined) {
    const client = knex.client as { cancelQuery?: (connection: unknown) => Promise<unknown> };
    const killed = client.cancelQuery ? await settles(client.cancelQuery(connection), GIVE_UP_MS) : false;
    if (!killed) destroy(connection);
  }
  const rolledBack = await settles(trx.rollback(), GIVE_UP_MS);
  if (!rolledBack && connection) destroy(connection);
}

async function connectionOf(trx: Knex.Transaction): Promise<DriverConnection | undefined> {
  try {
    // A transaction's client hands out the transaction's own connection.
    return (await (trx.client as { acquireConnection(): Promise<DriverConnection> }).acquireConnection()) ?? undefined;
  } catch {
    return undefined;
  }
}

function destroy(connection: DriverConnection): void {
  try {
    connection.destroy?.();
  } catch {
    // already closed
  }
}

/** True when `work` resolved within `ms`; false when it failed or is still running. */
async function settles(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => false), expired]);
  } finally {
    clearTimeout(timer);
  }
}
