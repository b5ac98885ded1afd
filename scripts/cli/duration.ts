const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  s: 1000,
  m: 60 * 1000,
  h: 60 * 60 * 1000,
  d: 24 * 60 * 60 * 1000,
  w: 7 * 24 * 60 * 60 * 1000,
});

/** The longest window accepted: ten years is already "forever" for an outbox. */
const MAX_MS = 3650 * UNIT_MS.d!;

/**
 * Parses `45s`, `90m`, `12h`, `30d`, `2w` into milliseconds. A bare number is refused rather than
 * guessed: `--older-than 30` could mean seconds or days, and guessing wrong deletes data.
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+)\s*([smhdw])\s*$/i.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration: use a whole number and a unit, like 45s, 90m, 12h, 30d or 2w`);
  const ms = Number(match[1]) * UNIT_MS[match[2]!.toLowerCase()]!;
  if (ms <= 0) throw new Error(`"${text}" is not a duration: it must be longer than zero`);
  if (ms > MAX_MS) throw new Error(`"${text}" is too long: at most ${MAX_MS / UNIT_MS.d!}d`);
  return ms;
}

/** `3d 4h`-style text for ages in human output: the two largest units. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}
