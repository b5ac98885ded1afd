import type { Handler, HandlerOptions } from '../../plugin/index.js';

export type { HandlerContext, WebhookEvent } from '../../plugin/index.js';

/** The part of the plugin the CRM's handlers need. */
export interface WebhooksPluginHandlers {
  on(eventType: string, handler: Handler, options?: HandlerOptions): void;
}
