/**
 * Everything a log line holds, as text: Error properties that JSON.stringify skips (message, stack,
 * cause), and Buffers decoded, so a marker in any of them is found.
 */
export function logText(value: unknown): string {
  const seen = new Set<unknown>();
  const parts: string[] = [];
  const walk = (current: unknown, depth: number): void => {
    if (current === null || current === undefined || depth > 12) return;
    if (typeof current !== 'object' && typeof current !== 'function') {
      parts.push(String(current));
      return;
    }
    if (seen.has(current)) return;
    seen.add(current);
    if (Buffer.isBuffer(current) || current instanceof Uint8Array) {
      parts.push(Buffer.from(current).toString('latin1'));
      return;
    }
    for (const key of Object.getOwnPropertyNames(current)) {
      parts.push(key);
      walk((current as Record<string, unknown>)[key], depth + 1);
    }
  };
  walk(value, 0);
  return parts.join('\n');
}
