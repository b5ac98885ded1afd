import { connect, type Socket } from 'node:net';
import { parseResponse } from './raw-http.js';

export interface UploadResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the request head until the first response byte. */
  answeredAfterMs: number;
  /** Milliseconds from the request head until the server closed the connection. */
  closedAfterMs: number;
  /** Body bytes the client managed to hand to the socket before it was closed. */
  bytesSent: number;
}

export interface UploadOptions {
  port: number;
  /** Request line and headers, without the blank line that ends them. */
  head: string;
  /**
   * Body bytes to send, produced on demand: the client never holds more than one chunk, so any
   * memory growth measured during an upload is the server's.
   */
  chunks: () => Iterator<Buffer>;
  /** Pause between chunks, for trickling; 0 writes as fast as the socket takes them. */
  intervalMs?: number;
  /** Give up (and fail) after this long without the server closing the connection. */
  timeoutMs?: number;
}

/** Streams a body at the server until it answers and closes the connection (or the body ends). */
export function upload(options: UploadOptions): Promise<UploadResult> {
  const { port, head, intervalMs = 0, timeoutMs = 20_000 } = options;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host: '127.0.0.1' });
    const received: Buffer[] = [];
    const source = options.chunks();
    let started = 0;
    let answeredAfterMs = -1;
    let bytesSent = 0;
    let closed = false;
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for more than ${timeoutMs} ms`));
    }, timeoutMs);

    function pump(): void {
      while (!closed) {
        const next = source.next();
        if (next.done) return;
        bytesSent += next.value.length;
        const more = socket.write(next.value);
        if (intervalMs > 0) {
          setTimeout(pump, intervalMs);
          return;
        }
        if (!more) {
          socket.once('drain', pump);
          return;
        }
      }
    }

    socket.on('connect', () => {
      started = performance.now();
      socket.write(`${head}\r\n\r\n`);
      pump();
    });
    socket.on('data', (chunk: Buffer) => {
      if (answeredAfterMs < 0) answeredAfterMs = performance.now() - started;
      received.push(chunk);
    });
    socket.on('error', () => undefined); // EPIPE/ECONNRESET once the server closes: expected here
    socket.on('close', () => {
      closed = true;
      clearTimeout(deadline);
      try {
        resolve({ ...parseResponse(Buffer.concat(received)), answeredAfterMs, closedAfterMs: performance.now() - started, bytesSent });
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

/** `total` bytes in `size`-byte chunks that all share one buffer. */
export function* repeatedChunks(total: number, size = 64 * 1024, fill = 0x20): Generator<Buffer> {
  const chunk = Buffer.alloc(size, fill);
  for (let sent = 0; sent < total; sent += size) yield total - sent >= size ? chunk : chunk.subarray(0, total - sent);
}

/** The same, framed for Transfer-Encoding: chunked (the final 0-chunk only if the body ends). */
export function* httpChunked(total: number, size = 64 * 1024): Generator<Buffer> {
  for (const chunk of repeatedChunks(total, size)) yield Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
  yield Buffer.from('0\r\n\r\n');
}
