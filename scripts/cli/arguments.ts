import { InvalidArgumentError } from 'commander';
import { parseCidrs } from '../../plugin/ingest/client-ip.js';
import { parseLocation } from '../../plugin/signatures/event-locator.js';
import { parseDuration } from './duration.js';

/**
 * Value parsers for commander: each throws InvalidArgumentError, which commander reports as a usage
 * error naming the flag, before any database is opened.
 */
export function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number above 0');
  return n;
}

const outboxId = wholeNumber(1, Number.MAX_SAFE_INTEGER);

/** For variadic `<id...>`: commander calls it once per value with the list so far. */
export function collectIds(value: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), outboxId(value)];
}

export function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** For repeatable flags: each occurrence adds to the list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** An allowlist entry the receive path could not parse would lock the partner out, so refuse it here. */
export function collectCidr(value: string, previous: string[] | undefined): string[] {
  try {
    parseCidrs([value]);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return collect(value, previous);
}

export function location(value: string): string {
  const parsed = parseLocation(value);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.error);
  return value;
}

/** `--setting name=value` (repeatable) into an object; names as the presets spell them. */
export function collectSetting(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf('=');
  const name = eq < 0 ? '' : value.slice(0, eq);
  if (!/^[A-Za-z][A-Za-z0-9]{0,31}$/.test(name)) throw new InvalidArgumentError('expected name=value, e.g. organizationId=00D000000000062');
  return { ...(previous ?? {}), [name]: value.slice(eq + 1) };
}

export function publicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an absolute http(s) URL, as the provider calls it');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidArgumentError('expected an absolute http(s) URL, as the provider calls it');
  return value;
}
