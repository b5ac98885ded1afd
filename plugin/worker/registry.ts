import type { Handler, HandlerOptions } from '../types.js';

interface Entry {
  handler: Handler;
  stale: 'skip' | 'call';
}

/**
 * Handlers by event type; '*' handlers run for every event, after the type's own. A stale event
 * (issue 12: a newer version of its record was already applied) reaches only the handlers registered
 * with `{ stale: 'call' }`.
 */
export function createHandlerRegistry() {
  const byType = new Map<string, Entry[]>();
  const entriesFor = (type: string | null): Entry[] => [
    ...(type === null ? [] : byType.get(type) ?? []),
    ...(type === '*' ? [] : byType.get('*') ?? []),
  ];
  return {
    on(type: string, handler: Handler, options: HandlerOptions = {}): void {
      if (typeof type !== 'string' || type === '') throw new TypeError('crm-webhooks: on(type, handler) needs a non-empty type (or "*")');
      if (typeof handler !== 'function') throw new TypeError(`crm-webhooks: the handler for "${type}" is not a function`);
      const stale = options.stale ?? 'skip';
      if (stale !== 'skip' && stale !== 'call') throw new TypeError(`crm-webhooks: on("${type}", handler, { stale }) takes 'skip' or 'call'`);
      byType.set(type, [...(byType.get(type) ?? []), { handler, stale }]);
    },
    handlersFor(type: string | null): Handler[] {
      return entriesFor(type).map((e) => e.handler);
    },
    staleHandlersFor(type: string | null): Handler[] {
      return entriesFor(type).filter((e) => e.stale === 'call').map((e) => e.handler);
    },
  };
}

export type HandlerRegistry = ReturnType<typeof createHandlerRegistry>;
