import { z } from 'zod';

/**
 * A signature scheme described as data: where the signature is, how it is computed and over what.
 * The `custom` scheme stores one per partner; every preset is one (plus a few lines of code where
 * data cannot say it). Validated with zod so a bad spec file is refused with a one-line reason.
 */

// RFC 9110 token characters, lower-cased: Node lower-cases incoming header names.
const HEADER = /^header:[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const BODY = /^body:[^.\s]+(?:\.[^.\s]+){0,15}$/;
const PAIR = /^pair:[A-Za-z0-9_-]{1,16}$/;

const headerOrBody = z
  .string()
  .max(256)
  .refine((s) => HEADER.test(s) || BODY.test(s), 'expected header:<lower-case name> or body:<dot.path>');

/** The most events one request may carry: a bound on the work (and rows) one signed request costs. */
export const MAX_BATCH_ITEMS = 1000;

/** A dot path inside one item of a batch (no `body:` prefix: it is relative to the item). */
const itemPath = z
  .string()
  .max(256)
  .regex(/^[^.\s]+(?:\.[^.\s]+){0,15}$/, 'expected a dot path inside one item, such as eventId or data.id');

/** A piece of the signed content, in order. */
export const contentPartSchema = z.union([
  z.enum(['body', 'timestamp', 'id', 'method', 'url', 'form-sorted']),
  z.object({ literal: z.string().max(64) }).strict(),
  z.object({ from: headerOrBody }).strict(),
]);

export const signatureSpecSchema = z
  .object({
    /** How the body is decoded for the event locator and body: locations; `json-or-form` goes by content type (Slack). */
    body: z.enum(['json', 'form', 'xml', 'json-or-form']).default('json'),
    /** Form fields holding JSON, decoded with the form (Slack's `payload`, Mandrill's `mandrill_events`). */
    jsonFields: z.array(z.string().min(1).max(64)).max(8).default([]),
    signature: z
      .object({
        from: headerOrBody,
        /** Stripped from each value when present, e.g. `sha256=`, `v0=`, `v1,` (compared case-insensitively). */
        prefix: z.string().max(16).optional(),
        /** Refuse a value that lacks the prefix. */
        prefixRequired: z.boolean().default(false),
        /** Several signatures in one value (key rotation): separated by a space or a comma. */
        list: z.enum(['single', 'space', 'comma']).default('single'),
        /** `t=…,v1=…` or `ts=…;h1=…`: the signatures are the values under `key`. */
        pairs: z
          .object({ separator: z.enum([',', ';']), key: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/) })
          .strict()
          .optional(),
      })
      .strict(),
    /** `sha256` is HubSpot v1/v2's plain SHA-256 of secret + content; `ecdsa-p256-sha256` takes a public key. */
    algorithm: z.enum(['hmac-sha1', 'hmac-sha256', 'hmac-sha512', 'sha256', 'ecdsa-p256-sha256']),
    encoding: z.enum(['hex', 'base64', 'base64url']),
    /** How the partner's secret becomes key bytes; `whsec` is base64 with an optional `whsec_` prefix. */
    secret: z.enum(['utf8', 'hex', 'base64', 'whsec']).default('utf8'),
    content: z.array(contentPartSchema).min(1).max(16),
    /** A second accepted template, for a provider whose docs and examples disagree on the order (Zendesk). */
    alternateContent: z.array(contentPartSchema).min(1).max(16).optional(),
    timestamp: z
      .object({
        from: z.string().max(256).refine((s) => HEADER.test(s) || BODY.test(s) || PAIR.test(s), 'expected header:<name>, body:<path> or pair:<key>'),
        format: z.enum(['s', 'ms', 'iso']).default('s'),
        /** `both`: within tolerance either way; `age`: only too old is refused, as some providers' libraries do. */
        window: z.enum(['both', 'age']).default('both'),
      })
      .strict()
      .optional(),
    /** Where the event id and type are, first present wins. */
    id: z.array(headerOrBody).min(1).max(4).optional(),
    type: z.array(headerOrBody).min(1).max(4).optional(),
    /** Join every id location's value with `:` instead of taking the first (for senders with no single event id). */
    idJoin: z.boolean().default(false),
    /**
     * A body that carries several events: where their array is (`body` for a body that is itself the
     * array, `body:<dot.path>` for one inside it, such as Mandrill's `body:mandrill_events`), and
     * where each item keeps its id and type, relative to the item. A body whose value there is not
     * an array is one event, found through `id` and `type` as usual.
     */
    batch: z
      .object({
        from: z.string().max(256).refine((s) => s === 'body' || BODY.test(s), 'expected body or body:<dot.path>'),
        id: z.array(itemPath).min(1).max(4),
        type: z.array(itemPath).min(1).max(4).optional(),
        maxItems: z.number().int().min(1).max(MAX_BATCH_ITEMS).default(MAX_BATCH_ITEMS),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const needs = (part: string) => [...spec.content, ...(spec.alternateContent ?? [])].some((p) => p === part);
    if (needs('timestamp') && !spec.timestamp) ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'the content signs a timestamp but no timestamp location is given' });
    if (needs('id') && !spec.id) ctx.addIssue({ code: 'custom', path: ['id'], message: 'the content signs the event id but no id location is given' });
    if (spec.timestamp?.from.startsWith('pair:') && !spec.signature.pairs) {
      ctx.addIssue({ code: 'custom', path: ['timestamp', 'from'], message: 'pair: needs signature.pairs' });
    }
    if (spec.signature.pairs && spec.signature.list !== 'single') {
      ctx.addIssue({ code: 'custom', path: ['signature', 'list'], message: 'use either pairs or a list, not both' });
    }
    if (needs('form-sorted') && spec.body !== 'form' && spec.body !== 'json-or-form') ctx.addIssue({ code: 'custom', path: ['content'], message: 'form-sorted needs body "form"' });
  });

export type SignatureSpec = z.output<typeof signatureSpecSchema>;
export type SignatureSpecInput = z.input<typeof signatureSpecSchema>;
export type ContentPart = z.output<typeof contentPartSchema>;

/** The first problem of a zod error as one line: `signature.from: expected ...`. */
export function oneLine(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
}

export function parseSignatureSpec(value: unknown): { ok: true; spec: SignatureSpec } | { ok: false; error: string } {
  const parsed = signatureSpecSchema.safeParse(value);
  return parsed.success ? { ok: true, spec: parsed.data } : { ok: false, error: `invalid signature spec: ${oneLine(parsed.error)}` };
}

/** Whether a spec signs something that makes a replay a different request (dedupe on the body hash is then not needed). */
export function specSignsIdOrTimestamp(spec: SignatureSpec): boolean {
  const signs = (parts: readonly ContentPart[]) => parts.some((p) => p === 'id' || p === 'timestamp');
  return signs(spec.content) && (spec.alternateContent === undefined || signs(spec.alternateContent));
}
