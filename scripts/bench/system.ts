import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/** The machine the figures were measured on. */
export interface MachineFacts {
  cpuModel: string;
  cpuCount: number;
  totalMemoryBytes: number;
  nodeVersion: string;
  platform: string;
  kernel: string;
  date: string;
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryBytes: os.totalmem(),
    nodeVersion: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    date: new Date().toISOString(),
  };
}

/**
 * USER_HZ: the unit of utime/stime in /proc/<pid>/stat. Node cannot ask sysconf(_SC_CLK_TCK), but
 * the kernel fixes it at 100 on every mainstream architecture.
 */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used, from /proc; null where /proc cannot be read. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Whole-machine CPU time from /proc/stat, in seconds summed over all cores; null off Linux. */
export function machineCpuSeconds(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, ...values] = line.trim().split(/\s+/);
    const ticks = values.slice(0, 8).map(Number); // user nice system idle iowait irq softirq steal
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: (total - idle) / CLOCK_TICKS_PER_SECOND, total: total / CLOCK_TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

/**
 * The local MySQL/MariaDB server process, to account its CPU next to the server child's and the
 * load generator's; null when the database is not on this machine or /proc is not there.
 */
export function findDatabasePid(databaseUrl: string): number | null {
  if (!/^(mysql|mariadb):/.test(databaseUrl)) return null;
  const host = new URL(databaseUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(host)) return null;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
        if (name === 'mariadbd' || name === 'mysqld') return Number(entry);
      } catch {
        // the process ended while we looked
      }
    }
  } catch {
    return null;
  }
  return null;
}

/** Peak resident set size (VmHWM) of a process, in bytes; null where /proc cannot be read. */
export function readPeakRss(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resets VmHWM to the current RSS (Linux 4.0+), so the next reading is the peak of one window. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU the rest of the machine uses before the bench starts, in % of one core: on a shared machine
 * anything well above zero will be taken from the processes under test.
 */
export async function machineBusyPct(sampleMs = 1000): Promise<number | null> {
  const before = machineCpuSeconds();
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  const after = machineCpuSeconds();
  if (!before || !after || after.total <= before.total) return null;
  return (100 * os.cpus().length * (after.busy - before.busy)) / (after.total - before.total);
}

/** The commit measured and how many files differed from it (read-only git), or null outside a checkout. */
export function sourceRevision(): { commit: string; changedFiles: number } | null {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, changedFiles: status.split('\n').filter(Boolean).length };
  } catch {
    return null;
  }
}
