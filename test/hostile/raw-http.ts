import { connect } from 'node:net';

/**
 * A request exactly as bytes on the wire. fetch and node:http normalize or refuse much of what an
 * attacker sends (obs-text in header values, missing or lying Content-Length, repeated headers,
 * unencoded paths), so the hostile suites write HTTP/1.1 by hand.
 */
export interface RawRequest {
  method?: string;
  /** Sent as is: no encoding, no normalization. */
  path: string;
  /** Header lines in order; values are written as latin1 so any byte 0-255 can be sent. */
  headers: ReadonlyArray<readonly [string, string]>;
  body?: Buffer;
  /** Write Content-Length from the body unless the headers already hold a length or an encoding. */
  autoLength?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte written to the end of the response. */
  elapsedMs: number;
}

export function serialize(request: RawRequest, host: string): Buffer {
  const body = request.body ?? Buffer.alloc(0);
  const lines = [`${request.method ?? 'POST'} ${request.path} HTTP/1.1`, `host: ${host}`, 'connection: close'];
  const names = new Set(request.headers.map(([name]) => name.toLowerCase()));
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  if ((request.autoLength ?? true) && !names.has('content-length') && !names.has('transfer-encoding')) {
    lines.push(`content-length: ${body.length}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** Parses one HTTP/1.1 response read until the server closed the connection. */
export function parseResponse(raw: Buffer): Omit<RawResponse, 'elapsedMs'> {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response head in ${raw.length} bytes: ${JSON.stringify(raw.subarray(0, 200).toString('latin1'))}`);
  const [statusLine = '', ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status, headers, body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Sends one request on a new connection and reads until the server closes it. Resolves with
 * whatever response arrived even if the server reset the connection after answering (413, 408).
 */
export function sendRaw(port: number, request: RawRequest | Buffer, options: { timeoutMs?: number } = {}): Promise<RawResponse> {
  const bytes = Buffer.isBuffer(request) ? request : serialize(request, `127.0.0.1:${port}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response within ${options.timeoutMs ?? 10_000} ms`));
    }, options.timeoutMs ?? 10_000);
    const done = () => {
      clearTimeout(timer);
      try {
        resolve({ ...parseResponse(Buffer.concat(chunks)), elapsedMs: performance.now() - started });
      } catch (error) {
        reject(error as Error);
      }
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined); // a reset after the response is expected for 413/408; judged in done()
    socket.on('close', done);
    // write, not end: Node's server treats a half-closed client as gone (httpAllowHalfOpen is off)
    // and drops its request without an answer. Real clients keep their side open until answered.
    socket.write(bytes);
  });
}
