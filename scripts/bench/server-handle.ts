import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, Op, ParentMessage, Replies, VariantName } from './protocol.js';

/** The parent's grip on one server child: its address, its IPC calls, and its end. */
export interface ServerHandle {
  variant: VariantName;
  pid: number;
  port: number;
  url(path: string): string;
  call<O extends Op>(op: O): Promise<Replies[O]>;
  /** Asks the child to close its server and pool and exit; kills it if it does not within the timeout. */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  variant: VariantName;
  databaseUrl: string;
  /** Extra node flags, e.g. --cpu-prof for the profiled run. */
  execArgv?: string[];
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

const STOP_TIMEOUT_MS = 30_000;

export async function startServer(options: StartServerOptions): Promise<ServerHandle> {
  const entry = fileURLToPath(new URL('./server.js', import.meta.url));
  const child = fork(entry, [options.variant], {
    // LOG_LEVEL=warn: the plugin logs nothing per request at info, but a warning explains a figure.
    env: { ...process.env, ...options.env, DATABASE_URL: options.databaseUrl, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' },
    execArgv: ['--enable-source-maps', ...(options.execArgv ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start the ${options.variant} server`);

  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let seq = 0;
  let exited = false;
  const exit = new Promise<Error>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      const reason = new Error(`the ${options.variant} server exited (code ${String(code)}, signal ${String(signal)})`);
      for (const call of pending.values()) call.reject(reason);
      pending.clear();
      resolve(reason);
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${options.variant} server did not start within ${options.readyTimeoutMs ?? 60_000} ms`)), options.readyTimeoutMs ?? 60_000);
    child.on('message', (message: ChildMessage) => {
      if (message.kind === 'ready') {
        clearTimeout(timer);
        resolve(message.port);
        return;
      }
      const call = pending.get(message.seq);
      if (!call) return;
      pending.delete(message.seq);
      if (message.ok) call.resolve(message.value);
      else call.reject(new Error(`${options.variant} server: ${message.error}`));
    });
    void exit.then((reason) => {
      clearTimeout(timer);
      reject(reason);
    });
  }).catch(async (error: unknown) => {
    await kill(child);
    throw error;
  });

  const handle: ServerHandle = {
    variant: options.variant,
    pid,
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    call<O extends Op>(op: O): Promise<Replies[O]> {
      if (exited) return Promise.reject(new Error(`the ${options.variant} server is not running`));
      seq += 1;
      const message: ParentMessage = { seq, op };
      return new Promise<Replies[O]>((resolve, reject) => {
        pending.set(message.seq, { resolve: resolve as (value: unknown) => void, reject });
        child.send(message, (error: Error | null) => {
          if (!error || !pending.delete(message.seq)) return;
          reject(error);
        });
      });
    },
    async stop() {
      if (exited) return;
      const stopped = handle.call('stop').then(() => exit).catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        stopped.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (timedOut) await kill(child);
      await exit;
    },
  };
  return handle;
}

/** Ends this child (only ever one the bench forked itself) and waits for it to be gone. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, 'exit');
  child.kill('SIGKILL');
  await gone;
}
