import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/plugin-process.js', import.meta.url));

export interface ChildHost {
  child: ChildProcess;
  pid: number;
  url(slug: string): string;
  /** Asks for a graceful stop and waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: no cleanup of any kind, as in a crash. */
  kill(): Promise<void>;
}

/** Starts the plugin in a separate Node process on `databaseUrl`; resolves once it listens. `fixture`: another script of test/fixtures. */
export async function spawnChildHost(databaseUrl: string, env: Record<string, string> = {}, fixture = FIXTURE): Promise<ChildHost> {
  const child = fork(fixture, [], {
    env: { ...process.env, DATABASE_URL: databaseUrl, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    execArgv: ['--enable-source-maps'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = once(child, 'exit');
  const ready = once(child, 'message') as Promise<[{ port: number; pid: number }]>;
  const [message] = await Promise.race([
    ready,
    exited.then(([code]) => {
      throw new Error(`the plugin process exited with ${code} before listening: ${stderr}`);
    }),
  ]);
  return {
    child,
    pid: message.pid,
    url: (slug) => `http://127.0.0.1:${message.port}/plugins/webhooks/${slug}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ cmd: 'stop' });
      await exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
