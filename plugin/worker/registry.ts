import type { Handler } from '../types.js';

/** Handlers by event type; '*' handlers run for every event, after the type's own. */
export function createHandlerRegistry() {
  const byType = new Map<string, Handler[]>();
  return {
    on(type: string, handler: Handler): void {
      if (typeof type !== 'string' || type === '') throw new TypeError('crm-webhooks: on(type, handler) needs a non-empty type (or "*")');
      if (typeof handler !== 'function') throw new TypeError(`crm-webhooks: the handler for "${type}" is not a function`);
      byType.set(type, [...(byType.get(type) ?? []), handler]);
    },
    handlersFor(type: string | null): Handler[] {
      return [...(type === null ? [] : byType.get(type) ?? []), ...(type === '*' ? [] : byType.get('*') ?? [])];
    },
  };
}

export type HandlerRegistry = ReturnType<typeof createHandlerRegistry>;
