import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';

export interface ProgressReporter {
  /** Called after each batch; a new `label` ends the previous bar and starts another. */
  update(label: string, done: number, total: number | null): void;
  stop(): void;
}

type TtyStream = Writable & { isTTY?: boolean };

/**
 * A bar on a terminal, plain `label: done/total` lines when stderr is a file or a pipe (logs and CI
 * keep them readable), and nothing at all in --json mode.
 */
export function createProgress(stderr: TtyStream, options: { json: boolean }): ProgressReporter {
  if (options.json) return { update: () => undefined, stop: () => undefined };
  if (!stderr.isTTY) {
    return {
      update: (label, done, total) => {
        stderr.write(`crm-webhooks: ${label}: ${done}${total === null ? '' : `/${total}`}\n`);
      },
      stop: () => undefined,
    };
  }
  let bar: cliProgress.SingleBar | null = null;
  let current = '';
  return {
    update(label, done, total) {
      if (bar && label !== current) {
        bar.stop();
        bar = null;
      }
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { stream: stderr, format: '{label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted}', hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(total ?? done, 1), done, { label });
        current = label;
        return;
      }
      if (total !== null && total !== bar.getTotal()) bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
