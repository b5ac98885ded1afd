import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import mysql from 'mysql2/promise';

/**
 * A MariaDB server of the tests' own: same binary as the shared one, its own datadir, port and
 * socket under a temp dir. Fault tests stop, kill and restart it; the shared server at
 * 127.0.0.1:3306 (used by other engineers and CI at the same time) is never touched.
 */
export interface PrivateMariadb {
  readonly port: number;
  readonly dir: string;
  readonly running: boolean;
  /** mysql://root@127.0.0.1:<port>/<database> */
  url(database: string): string;
  /** Runs one statement on a fresh connection (as root), for setup and for KILL. */
  query<T = unknown>(sql: string, values?: unknown[]): Promise<T[]>;
  /** Starts the server again on the same datadir and port; resolves once it answers. */
  start(): Promise<void>;
  /** SIGTERM, as a service manager would, then waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, no shutdown work at all. Waits for the process to exit. */
  kill(): Promise<void>;
  /** SIGSTOP: a frozen server, which keeps its connections open and answers nothing (not a refusal). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** Kills the server if running and deletes its datadir. */
  destroy(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The server binary: WEBHOOKS_TEST_MARIADBD, else /usr/sbin/mariadbd, else mariadbd on PATH; null if none. */
export function findMariadbd(): string | null {
  const configured = process.env.WEBHOOKS_TEST_MARIADBD;
  if (configured) return configured;
  if (existsSync('/usr/sbin/mariadbd')) return '/usr/sbin/mariadbd';
  return onPath('mariadbd');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const asRoot = () => (process.getuid?.() === 0 ? ['--user=root'] : []);

function installDatadir(dir: string): void {
  const installer = onPath('mariadb-install-db') ?? '/usr/bin/mariadb-install-db';
  const result = spawnSync(
    installer,
    ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asRoot()],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (result.status !== 0) {
    throw new Error(`mariadb-install-db failed (${result.error?.message ?? `exit ${result.status}`}): ${(result.stderr || result.stdout || '').slice(-2000)}`);
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no error log)';
  }
}

/** Initializes a datadir and starts a server on a free port. Call destroy() in an after hook. */
export async function startPrivateMariadb(): Promise<PrivateMariadb> {
  const binary = findMariadbd();
  if (!binary) throw new Error('no mariadbd binary found (set WEBHOOKS_TEST_MARIADBD)');
  const dir = mkdtempSync(join(tmpdir(), 'crmwh-mariadb-'));
  let child: ChildProcess | null = null;
  let spawnError: Error | null = null;
  let port = 0;
  // Should the test process die without its after hooks, do not leave a server behind.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const connect = () => mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 2000 });

  async function waitUntilReady(spawned: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (spawnError) throw new Error(`could not run ${binary}: ${spawnError.message}`);
      if (spawned.exitCode !== null || spawned.signalCode !== null) {
        throw new Error(`mariadbd exited (${spawned.exitCode ?? spawned.signalCode}) before answering:\n${tail(join(dir, 'error.log'))}`);
      }
      try {
        const connection = await connect();
        await connection.query('SELECT 1');
        await connection.end();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`mariadbd did not answer within ${READY_TIMEOUT_MS} ms: ${(error as Error).message}\n${tail(join(dir, 'error.log'))}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async function start(): Promise<void> {
    if (child) return;
    spawnError = null;
    const spawned = spawn(
      binary!,
      [
        '--no-defaults',
        `--datadir=${join(dir, 'data')}`,
        `--port=${port}`,
        `--socket=${join(dir, 'mysqld.sock')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        `--log-error=${join(dir, 'error.log')}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=32M',
        // The default, spelled out: a committed event must survive a crash of the server.
        '--innodb-flush-log-at-trx-commit=1',
        '--max-connections=200',
        ...asRoot(),
      ],
      { stdio: 'ignore' },
    );
    child = spawned;
    spawned.once('exit', () => {
      if (child === spawned) child = null;
    });
    // A binary that cannot be run reports here (ENOENT, EACCES), not as an exit.
    spawned.once('error', (error) => {
      spawnError = error;
      if (child === spawned) child = null;
    });
    try {
      await waitUntilReady(spawned);
    } catch (error) {
      await signal('SIGKILL');
      throw error;
    }
  }

  async function signal(name: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const current = child;
    if (!current) return;
    // once() would reject on an 'error' event; a process that failed to spawn has nothing to stop.
    const exited = once(current, 'exit').catch(() => undefined);
    current.kill(name);
    const timer = setTimeout(() => current.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    child = null;
  }

  const server: PrivateMariadb = {
    get port() {
      return port;
    },
    dir,
    get running() {
      return child !== null;
    },
    url: (database) => `mysql://root@127.0.0.1:${port}/${database}`,
    async query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
      const connection = await connect();
      try {
        const [rows] = await connection.query(sql, values);
        return rows as T[];
      } finally {
        await connection.end().catch(() => undefined);
      }
    },
    start,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    async destroy() {
      try {
        await signal('SIGKILL');
      } finally {
        process.off('exit', killOnExit);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };

  try {
    installDatadir(dir);
    // A port taken between probing and binding makes mariadbd exit: try another.
    for (let attempt = 1; ; attempt += 1) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (error) {
        if (attempt >= 3 || !/Address already in use|bind/i.test((error as Error).message)) throw error;
      }
    }
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}


/**
 * Declares fault tests on a private MariaDB server started for them (and destroyed after them).
 * They run wherever a mariadbd binary exists. Without one they are skipped, with a note, unless
 * WEBHOOKS_TEST_MYSQL_URL is set (CI): there a server that cannot start fails the suite.
 */
export function describeWithPrivateMariadb(title: string, body: (server: () => PrivateMariadb) => void): void {
  describe(`${title} [private MariaDB]`, function () {
    let server: PrivateMariadb | undefined;
    before(async function () {
      this.timeout(90_000);
      if (!findMariadbd() && !process.env.WEBHOOKS_TEST_MYSQL_URL) {
        console.log('      (skipped: no mariadbd binary; set WEBHOOKS_TEST_MARIADBD, or WEBHOOKS_TEST_MYSQL_URL to make this fail instead)');
        this.skip();
      }
      server = await startPrivateMariadb();
    });
    after(async function () {
      this.timeout(60_000);
      await server?.destroy();
    });
    body(() => {
      if (!server) throw new Error('the private MariaDB server is not running');
      return server;
    });
  });
}
