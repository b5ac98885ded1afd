const MAX_ERROR_CHARS = 2000;

/**
 * What goes into last_error: the error's name, message and causes, truncated. Stacks stay in the
 * logs; secrets never reach here because handlers get no secrets and the receive path stores none.
 */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth += 1) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : safeJson(current));
      current = undefined;
    }
  }
  const text = parts.join(' <- caused by ');
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
