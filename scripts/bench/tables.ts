/**
 * Names the bench shares between its parent and its children. The tables are the contract's
 * (CONTRACT.md, "Tables"); they are named here rather than imported from plugin/store so that the
 * bench keeps measuring the same rows while the store's code changes underneath it.
 */
export const DEDUPE_TABLE = 'webhook_dedupe';
export const OUTBOX_TABLE = 'webhook_outbox';

/** The partner every bench request is sent to (path /plugins/webhooks/bench). */
export const BENCH_PARTNER = 'bench';
export const RECEIVE_PATH = `/plugins/webhooks/${BENCH_PARTNER}`;
