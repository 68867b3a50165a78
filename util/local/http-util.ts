// Small HTTP helpers shared by the local servers (token endpoint, regional APIs, edge, control socket):
// one way to create a server with bounded time, connections and bodies, and one error envelope, so a
// hostile or broken client gets the same clear answer from every hop and never ties a server up.
import * as http from 'node:http';

/**
 * The local servers' request body limit. A ToDo is under 1 KB (an id and two VARCHAR(50) fields) and a
 * token request under 200 bytes, so 64 KiB leaves room for any client's formatting while a hostile body
 * costs the region's single process nothing. On AWS the limits are larger: API Gateway accepts up to
 * 10 MB ("Amazon API Gateway quotas": payload size) and Lambda 6 MB per synchronous invocation ("Lambda
 * quotas"), so whatever the rehearsal accepts, AWS accepts too; a larger ToDo is refused there by the
 * handlers' validation (400) instead of with 413.
 */
export const MAX_BODY_BYTES = 64 * 1024;

export interface ServerLimits {
  /** Time a client has to send its request headers; also bounds a connection that sends nothing. */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request, body included (Node's default is 300 s). */
  readonly requestTimeoutMs: number;
  /** Connections held at once; more are closed as they arrive. */
  readonly maxConnections: number;
  /** How often Node checks the two timeouts (its default, 30 s, would make a 10 s timeout a 40 s one). */
  readonly checkIntervalMs: number;
}

/** A slow or stalled client gets 408 within ~10 s; a ToDo request arrives in well under a millisecond. */
export const SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  maxConnections: 256,
  checkIntervalMs: 1_000,
};

/** The one error envelope of every local hop, API Gateway's `{"message": ...}`. */
export const ERROR_MESSAGES = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Request Too Long',
  431: 'Request Header Fields Too Large',
} as const;

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** The client went away (or was cut off by a timeout) before its body was complete. */
export class BodyAbortedError extends Error {}

/**
 * An http.Server with the timeouts and the connection cap above, and client errors (timeouts,
 * malformed requests) answered with the JSON envelope instead of Node's bare status line.
 */
export function createServer(handler: http.RequestListener, limits: Partial<ServerLimits> = {}): http.Server {
  const l = { ...SERVER_LIMITS, ...limits };
  const server = http.createServer(
    {
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      connectionsCheckingInterval: l.checkIntervalMs,
    },
    handler,
  );
  server.maxConnections = l.maxConnections;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // Nothing to answer on a connection that is gone or already carries a response.
    const response = (socket as { _httpMessage?: http.ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
      socket.destroy();
      return;
    }
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ message: ERROR_MESSAGES[status] });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

/** The declared body size is already over the limit: refuse before reading a byte. */
export function declaredTooLarge(req: http.IncomingMessage, limit = MAX_BODY_BYTES): boolean {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > limit;
}

/**
 * Reads the whole request body, at most `limit` bytes. Over the limit it rejects with BodyTooLargeError
 * and keeps reading (and dropping) the rest, so that the client, still sending, can read the 413 answer
 * instead of a reset connection; the server's request timeout bounds how long that lasts.
 */
export function readBody(req: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (declaredTooLarge(req, limit)) {
      req.resume();
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return; // over the limit: dropped
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        settle(() => reject(new BodyTooLargeError(limit)));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => settle(() => resolve(Buffer.concat(chunks))));
    req.once('error', (error) => settle(() => reject(new BodyAbortedError(error.message))));
    req.once('close', () => settle(() => reject(new BodyAbortedError('the client closed the connection before the body was complete'))));
  });
}

/** The envelope for a status of ERROR_MESSAGES; a 413 also closes the connection (the body may still be coming). */
export function sendError(res: http.ServerResponse, status: keyof typeof ERROR_MESSAGES, headers: http.OutgoingHttpHeaders = {}): void {
  sendJson(res, status, { message: ERROR_MESSAGES[status] }, status === 413 ? { ...headers, connection: 'close' } : headers);
}

export function sendJson(res: http.ServerResponse, statusCode: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The request target as a URL, or undefined for one WHATWG URL parsing refuses (answer 400). */
export function requestUrl(req: http.IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

/** listen() as a promise that rejects on EADDRINUSE with a message naming the port's config key. */
export function listen(server: http.Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`${what}: port ${port} on ${host} is already in use; stop what uses it or pick another port (0 = any free port)`)
          : error,
      );
    };
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** close() that also drops idle keep-alive connections, so shutdown does not hang. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
