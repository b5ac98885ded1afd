import type { Writable } from 'node:stream';
import { EXIT_INTERRUPTED } from './failure.js';

export interface Interrupt {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * The first Ctrl-C asks a batched operation to stop after its current batch (so nothing is half
 * done and the command can say what it did); a second one quits at once, leaving the batch in
 * flight to roll back with its connection.
 */
export function watchInterrupt(proc: NodeJS.Process, stderr: Writable): Interrupt {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      stderr.write('\ncrm-webhooks: interrupted again: quitting now\n');
      proc.exit(EXIT_INTERRUPTED);
    }
    stderr.write('\ncrm-webhooks: stopping after the current batch (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  proc.on('SIGINT', onSigint);
  return {
    signal: controller.signal,
    dispose: () => {
      proc.off('SIGINT', onSigint);
    },
  };
}
