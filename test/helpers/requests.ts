import { getScheme } from '../../plugin/signatures/index.js';
import type { BuiltInSchemeName as SchemeName } from '../../plugin/signatures/index.js';

export interface SignedPost {
  body: string;
  headers: Record<string, string>;
}

/** A request signed the way a partner of `scheme` would sign it. */
export function signedPost(
  scheme: SchemeName,
  secret: string,
  payload: unknown,
  options: { id?: string; type?: string; timestampSeconds?: number; body?: string } = {},
): SignedPost {
  const body = options.body ?? JSON.stringify(payload);
  const id = options.id ?? String((payload as { id?: unknown }).id ?? 'evt_test');
  const signed = getScheme(scheme).sign({
    secret,
    rawBody: body,
    id,
    timestampSeconds: options.timestampSeconds ?? Math.floor(Date.now() / 1000),
    ...(options.type ? { type: options.type } : {}),
  });
  return { body, headers: { 'content-type': 'application/json', ...signed } };
}

export async function post(url: string, request: SignedPost): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', body: request.body, headers: request.headers });
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: response.status, body, headers: response.headers };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
