// Loopback port helpers shared by everything under util/local and the tests.
import * as net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/**
 * A port that was free a moment ago. Servers that cannot listen on port 0 themselves (mariadbd takes
 * 0 to mean 3306) use this; there is a small race with other processes, so callers retry on EADDRINUSE.
 */
export function freePort(host: string = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not read the assigned port'))));
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export function isListening(port: number, host: string = LOOPBACK, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Waits until host:port accepts connections, or throws after timeoutMs. */
export async function waitForPort(port: number, host: string = LOOPBACK, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isListening(port, host)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
}
