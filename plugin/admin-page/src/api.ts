/** The JSON admin API, relative to the page (which is served at <mount>/_admin/). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const base = () => new URL('./', window.location.href);

/**
 * Every write is JSON from this origin: the server refuses anything else (no CSRF through forms).
 * Errors carry the server's message, which is what the admin sees.
 */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (method === 'POST') {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(new URL(path, base()), init);
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(response.status, 'bad_response', `the server answered ${response.status} without JSON`);
  }
  if (!response.ok) {
    const error = (data ?? {}) as { error?: string; message?: string };
    throw new ApiError(response.status, error.error ?? 'error', error.message ?? `the server answered ${response.status}`);
  }
  return data as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface Partner {
  slug: string;
  scheme: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  secrets: Array<{ addedAt: string; encrypted: boolean }>;
  endpoint: string;
  lastReceivedAt?: string | null;
  refusalsLastHour?: Record<string, number>;
}

export interface OutboxRow {
  id: number;
  partner: string;
  eventId: string;
  eventType: string | null;
  status: 'pending' | 'processing' | 'done' | 'dead';
  attempts: number;
  nextAttemptAt: string;
  lockedBy: string | null;
  lockedUntil: string | null;
  lastError: string | null;
  receivedAt: string;
  processedAt: string | null;
}

export interface OutboxDetail extends OutboxRow {
  payload: unknown;
  headers: Record<string, string>;
  timeline: Array<{ at: string | null; what: string }>;
}

export interface MinuteCounts {
  accepted: number;
  duplicate: number;
  refused: number;
  processed: number;
  failed: number;
  ackSecondsSum: number;
  ackCount: number;
  processingSecondsSum: number;
  processingCount: number;
}

export interface Figures {
  minutes: number[];
  partners: Record<string, MinuteCounts[]>;
  refusals: Record<string, Record<string, number>>;
  backlog: { pending: number; processing: number; dead: number; oldestPendingAgeSeconds: number | null; overdueSeconds: number | null };
  alerts: string[];
}
