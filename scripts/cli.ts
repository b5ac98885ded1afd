#!/usr/bin/env node
import { runCli } from './cli/main.js';

// A reader that stops early (`crm-webhooks outbox list | head`) is not a failure: the rest of the
// output has nowhere to go, and the command still finishes and closes its pool.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') return;
  process.stderr.write(`crm-webhooks: cannot write the output: ${error.message}\n`);
  process.exitCode = 1;
});

// No process.exit() on success: the pools are destroyed by then, and letting stdout drain on its
// own keeps a large --json document from being cut short when piped.
const exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  proc: process,
});
process.exitCode = Number(process.exitCode ?? 0) || exitCode;
