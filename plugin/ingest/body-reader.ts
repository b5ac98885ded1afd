import type { Readable } from 'node:stream';
import { WebhookError } from '../errors.js';

export interface ReadBodyOptions {
  limitBytes: number;
  timeoutMs: number;
  /** The Content-Length header, if any: an oversized declared length is refused before reading. */
  contentLength: string | undefined;
  /**
   * Asks for room to hold `bytes` more (the shared cap on unverified bodies); false refuses the
   * request with `overloaded()` before another byte is read.
   */
  reserve?: (bytes: number) => boolean;
  overloaded?: () => WebhookError;
}

const tooLarge = (limit: number) =>
  new WebhookError(413, 'payload_too_large', `the body is larger than ${limit} bytes`, { closeConnection: true });

/**
 * Reads the raw body, never buffering more than the limit and never waiting longer than the
 * timeout. Signatures are computed over these exact bytes, so no parser may touch them first.
 */
export function readRawBody(stream: Readable, options: ReadBodyOptions): Promise<Buffer> {
  const { limitBytes, timeoutMs, contentLength } = options;
  const reserve = options.reserve ?? (() => true);
  const overloaded = options.overloaded ?? (() => new WebhookError(503, 'overloaded', 'too many bodies are being received; retry later', { closeConnection: true }));
  let reserved = 0;
  if (contentLength !== undefined) {
    const declared = Number(contentLength);
    if (!/^\d+$/.test(contentLength.trim())) {
      return Promise.reject(new WebhookError(400, 'invalid_body', 'the Content-Length header is not a number', { closeConnection: true }));
    }
    if (declared > limitBytes) return Promise.reject(tooLarge(limitBytes));
    // The whole declared body is reserved up front, so a refusal comes before anything is read.
    if (!reserve(declared)) return Promise.reject(overloaded());
    reserved = declared;
  }
  if (stream.readableEnded) {
    return Promise.reject(new Error('the request body was already consumed: mount the webhooks plugin before any body parser'));
  }

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const timer = setTimeout(
      () => finish(new WebhookError(408, 'request_timeout', `the body was not received within ${timeoutMs} ms`, { closeConnection: true })),
      timeoutMs,
    );

    function finish(error: Error | null): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error) {
        // Removing the 'data' listener does not stop a flowing stream: without a pause, the rest
        // of a refused body (413, 408) kept being read and thrown away until the socket closed.
        stream.pause();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks, size));
      }
    }
    function onData(chunk: Buffer): void {
      size += chunk.length;
      if (size > limitBytes) {
        chunks.length = 0;
        finish(tooLarge(limitBytes));
      } else if (size > reserved && !reserve(size - reserved)) {
        chunks.length = 0;
        finish(overloaded());
      } else {
        reserved = Math.max(reserved, size);
        chunks.push(chunk);
      }
    }
    const onEnd = () => finish(null);
    const onError = () => finish(new WebhookError(400, 'invalid_body', 'the request body could not be read', { closeConnection: true }));
    const onClose = () => finish(new WebhookError(400, 'invalid_body', 'the client closed the connection before the body ended', { closeConnection: true }));

    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
