/** A claim was lost: the lease expired and another claim (maybe our own poller's) took the row. */
export class ClaimLostError extends Error {
  constructor() {
    super('the claim on this event was lost (lease expired and another worker took it)');
    this.name = 'ClaimLostError';
  }
}

export class HandlerTimeoutError extends Error {
  constructor(ms: number) {
    super(`the handler ran past its timeout of ${ms} ms`);
    this.name = 'HandlerTimeoutError';
  }
}

/** Raised into a running handler when the plugin stops before it finished. */
export class StoppingError extends Error {
  /** false when the stop came before any handler of the event was called: its attempt is given back. */
  readonly handlersStarted: boolean;
  constructor(handlersStarted = true) {
    super('the plugin is stopping');
    this.name = 'StoppingError';
    this.handlersStarted = handlersStarted;
  }
}
