import type { Logger } from '../../plugin/types.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** A silent logger that keeps every line, so tests can assert what was (and was not) logged. */
export function recordingLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const at =
    (level: LogLine['level']) =>
    (first: object | string, msg?: string): void => {
      if (typeof first === 'string') lines.push({ level, msg: first, fields: { ...bindings } });
      else lines.push({ level, msg: msg ?? '', fields: { ...bindings, ...(first as Record<string, unknown>) } });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}
