import { connect } from 'node:net';

/**
 * Is Redis answering? One PING on a plain socket, so the bench can say clearly that the BullMQ
 * receiver was left out (rather than failing deep inside ioredis's reconnect loop). Null when it
 * answered PONG, else the reason.
 */
export function redisProblem(address: { host: string; port: number }, timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect(address);
    const finish = (problem: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    let reply = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG') ? null : `unexpected reply ${JSON.stringify(reply.trim().slice(0, 80))}`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
  });
}
