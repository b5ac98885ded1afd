import type { Writable } from 'node:stream';

/**
 * Where a command's result goes. With --json, stdout carries exactly one JSON document and nothing
 * else (progress and notes go to stderr, or nowhere); without it, readable text.
 */
export interface Output {
  readonly json: boolean;
  /** Prints the result: `value` as JSON, or the text `render` makes of it. */
  result<T>(value: T, render: (value: T) => string): void;
  /** A note for a person (hints, warnings): stderr, and never in --json mode. */
  note(line: string): void;
}

export function createOutput(streams: { stdout: Writable; stderr: Writable }, json: boolean): Output {
  return {
    json,
    result(value, render) {
      const text = json ? JSON.stringify(value) : render(value);
      streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    note(line) {
      if (!json) streams.stderr.write(`${line}\n`);
    },
  };
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `key  value` lines with the keys aligned. */
export function fields(entries: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** Shortens a value for a table cell, on one line. */
export function cell(value: string | null | undefined, max = 60): string {
  if (value === null || value === undefined) return '-';
  const flat = value.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
