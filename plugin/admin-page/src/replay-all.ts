import { api, query } from './api.js';
import { confirmAction, openDialog } from './dialog.js';
import { h, toast } from './dom.js';

const BATCH = 500;

/**
 * Replays every dead row of a partner: counts first and asks, then replays in batches of 500 so a
 * progress bar can follow (each call returns how many are left).
 */
export async function replayAllDead(partner: string, onDone: () => void): Promise<void> {
  const { count } = await api<{ count: number }>('GET', `outbox/count${query({ status: 'dead', partner })}`);
  if (count === 0) {
    toast(`${partner} has no dead events.`);
    return;
  }
  if (!(await confirmAction(`Replay ${count.toLocaleString()} dead events of ${partner}?`, 'They go back to pending with a fresh attempt budget and run again.', `Replay ${count.toLocaleString()}`))) return;
  const bar = h('progress', { id: 'replay-progress', max: count, value: 0 });
  const label = h('p', { id: 'replay-progress-label' }, `0 of ${count.toLocaleString()}`);
  const { close } = openDialog(`Replaying dead events of ${partner}`, h('label', { for: bar.id }, 'Progress'), bar, label);
  let replayed = 0;
  try {
    for (;;) {
      const step = await api<{ replayed: number; remaining: number }>('POST', `outbox/replay${query({ status: 'dead', partner, max: BATCH })}`);
      replayed += step.replayed;
      bar.max = replayed + step.remaining;
      bar.value = replayed;
      label.textContent = `${replayed.toLocaleString()} of ${(replayed + step.remaining).toLocaleString()}`;
      if (step.remaining === 0 || step.replayed === 0) break;
    }
    toast(`${replayed.toLocaleString()} events of ${partner} replayed.`);
  } catch (error) {
    toast(`Replay stopped after ${replayed}: ${(error as Error).message}`, 'error');
  } finally {
    close();
    onDone();
  }
}
