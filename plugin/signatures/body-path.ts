/**
 * Reading a decoded body (JSON, form or XML, all decoded to plain objects and arrays) by path: the
 * one place schemes, presets and partner overrides look inside a body.
 */

/**
 * A value at `path` in a decoded body, reading own properties only (so `constructor` or
 * `__proto__` never reach Object.prototype); a digit segment indexes an array.
 */
export function readBodyPath(body: unknown, path: readonly string[]): unknown {
  let current = body;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    if (Array.isArray(current) && !/^(?:0|[1-9][0-9]*)$/.test(segment)) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** The first of `keys` a top-level body object holds with a value other than null or undefined. */
export function firstBodyField(body: unknown, keys: readonly string[]): unknown {
  for (const key of keys) {
    const value = readBodyPath(body, [key]);
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}
