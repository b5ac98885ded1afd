/**
 * The events other modules report; observe/metrics.ts turns them into Prometheus series. Modules
 * depend on this interface, not on prom-client, so tests can pass a recorder and a host without
 * metrics pays nothing.
 */
export type RequestOutcome =
  | 'accepted'
  | 'duplicate'
  | 'unknown_partner'
  | 'partner_disabled'
  | 'ip_not_allowed'
  | 'rate_limited'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'request_timeout'
  | 'bad_request'
  | 'unauthorized'
  | 'store_unavailable'
  | 'host_busy'
  | 'internal_error';

/** `released`: given back unfinished at stop(); not a failure. `stale`: skipped, a newer version was applied (issue 12). */
export type AttemptOutcome = 'done' | 'unhandled' | 'stale' | 'retry' | 'dead' | 'lease_lost' | 'released';

export interface Telemetry {
  /** One request to the receive route finished; `seconds` from arrival to answer. */
  request(partner: string, outcome: RequestOutcome, seconds: number): void;
  /** One processing attempt finished. */
  attempt(partner: string, outcome: AttemptOutcome, seconds: number): void;
}

/** Reports every event to each sink in turn (metrics and the alerts' failure window, for example). */
export function fanOutTelemetry(...sinks: readonly Telemetry[]): Telemetry {
  return {
    request(partner, outcome, seconds) {
      for (const sink of sinks) sink.request(partner, outcome, seconds);
    },
    attempt(partner, outcome, seconds) {
      for (const sink of sinks) sink.attempt(partner, outcome, seconds);
    },
  };
}
