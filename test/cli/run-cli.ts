import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built bin, as `npx crm-webhooks` runs it. */
export const CLI_PATH = fileURLToPath(new URL('../../scripts/cli.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to a clean environment: the test process's DATABASE_URL and key never leak in. */
  env?: Record<string, string | undefined>;
  input?: string;
  /** Called with everything written to stderr so far, each time more arrives. */
  onStderr?: (soFar: string, child: ChildProcess) => void;
  timeoutMs?: number;
  /** Working directory of the CLI (default: the test's). */
  cwd?: string;
}

function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.WEBHOOKS_SECRET_KEY;
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Runs the CLI as a child process and collects its exit code and output. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      env: cleanEnv(options.env ?? {}),
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`crm-webhooks ${args.join(' ')} did not finish within ${options.timeoutMs ?? 15_000} ms`));
    }, options.timeoutMs ?? 15_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Parses --json output, failing the test with the raw text when it is not exactly one JSON document. */
export function parseJson<T = unknown>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}): ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

/** What every failure must look like: one line naming the tool, no stack frames. */
export function oneLineReason(run: CliRun): string {
  const lines = run.stderr.trimEnd().split('\n');
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got ${lines.length}:\n${run.stderr}`);
  if (!lines[0]!.startsWith('crm-webhooks: ')) throw new Error(`stderr does not start with "crm-webhooks: ": ${run.stderr}`);
  if (/\n\s+at /.test(run.stderr) || /\bat .+:\d+:\d+\)?$/.test(lines[0]!)) throw new Error(`stderr holds a stack trace: ${run.stderr}`);
  return lines[0]!;
}
