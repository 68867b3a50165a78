// Hostile and broken clients against the rehearsal's HTTP servers in isolation (token endpoint, one
// regional API with stub handlers, the edge in front of it, the control socket): prototype names,
// oversized and slow bodies, idle connections, a connection flood and forged tokens. Every one gets a
// bounded, plain answer in the same envelope, and no server crashes or leaks the token into a header.
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { API_BASE_PATH, OAUTH_SCOPE, TODO_FUNCTIONS } from '#routes';
import { REFUSALS } from '../../util/local/authorizer';
import { controlRequest, startControlServer, type ControlServer } from '../../util/local/control-socket';
import { startEdge, type Edge } from '../../util/local/edge';
import { reconcileEdgeConfig } from '../../util/local/edge-config';
import { closeServer, createServer, listen, MAX_BODY_BYTES, SERVER_LIMITS } from '../../util/local/http-util';
import { createRegionalApi, type HandlerTable } from '../../util/local/regional-api';
import { jwksOf, loadOrCreateSigningKey, signAccessToken, startTokenEndpoint, type TokenEndpoint } from '../../util/local/token-endpoint';

// Short limits so that slow clients are refused in a fraction of a second; the defaults are checked below.
const limits = { headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 50 };
const issuer = 'http://127.0.0.1:1';
let dir: string;
let token: string;
let apiServer: http.Server;
let apiPort: number;
let edge: Edge;
let tokenEndpoint: TokenEndpoint;
let control: ControlServer;
let controlSocket: string;
const apiLog: string[] = [];
const edgeLog: string[] = [];
/** What the stub handlers were given, newest last. */
const events: Array<{ headers: Record<string, string>; query: Record<string, string> | null; body: string | null }> = [];

const stub = async (event: unknown) => {
  const e = event as { headers: Record<string, string>; queryStringParameters: Record<string, string> | null; body: string | null };
  events.push({ headers: e.headers, query: e.queryStringParameters, body: e.body });
  // What a handler would do with the client's names: look them up, iterate, serialize.
  const echo = { query: e.queryStringParameters, ownHeaderNames: Object.keys(e.headers), header: e.headers.constructor };
  return Promise.resolve({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(echo) });
};
const handlers = Object.fromEntries(Object.keys(TODO_FUNCTIONS).map((name) => [name, stub])) as HandlerTable;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-hostile-'));
  const key = await loadOrCreateSigningKey(path.join(dir, 'key.json'));
  token = await signAccessToken(key, { issuer, clientId: 'client', scope: OAUTH_SCOPE });
  const api = createRegionalApi(handlers, {
    region: 'us-east-1',
    role: 'pri',
    issuer,
    jwks: jwksOf(key),
    log: (l) => apiLog.push(l),
    limits,
  });
  apiServer = api.server;
  apiPort = await listen(apiServer, 0, '127.0.0.1', 'test API');
  const configFile = path.join(dir, 'edge.json');
  const origin = { role: 'pri' as const, region: 'us-east-1', url: `http://127.0.0.1:${apiPort}` };
  await reconcileEdgeConfig(configFile, origin, () => origin);
  edge = await startEdge({ configFile, port: 0, limits, log: (l) => edgeLog.push(l) });
  tokenEndpoint = await startTokenEndpoint({
    clientId: 'client',
    clientSecret: 'secret',
    allowedScopes: [OAUTH_SCOPE],
    signingKey: key,
    port: 0,
    limits,
  });
  controlSocket = path.join(dir, 'control.sock');
  control = await startControlServer(controlSocket, {
    status: () => ({ ok: true }),
    killRegion: () => Promise.resolve(),
    reviveRegion: () => Promise.resolve(),
    invoke: (_role, _fn, payload) => Promise.resolve(payload),
  });
});

afterAll(async () => {
  await Promise.all([edge?.close(), tokenEndpoint?.close(), control?.close(), apiServer && closeServer(apiServer)]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const port = (url: string) => Number(new URL(url).port);
const servers = () => ({ api: apiPort, edge: port(edge.url), token: tokenEndpoint.port });

interface RawAnswer {
  readonly status: number;
  readonly head: string;
  readonly body: string;
  readonly ms: number;
}

/** Writes `text` on a fresh connection and never finishes the request: returns the first answer and when it came. */
function raw(serverPort: number, text: string, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(serverPort, '127.0.0.1', () => socket.write(text));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms (got ${JSON.stringify(received)})`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      const [head, body = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body, ms: Date.now() - started });
    };
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const [head, body] = received.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? -1);
      if (body !== undefined && length >= 0 && Buffer.byteLength(body, 'latin1') >= length) {
        socket.destroy();
        done();
      }
    });
    socket.once('close', done);
    socket.once('error', () => undefined);
  });
}

const get = (serverPort: number, target: string, headerLines: string[] = []) =>
  raw(
    serverPort,
    [`GET ${target} HTTP/1.1`, 'Host: x', `Authorization: ${token}`, ...headerLines, 'Connection: close', '', ''].join('\r\n'),
  );

describe('prototype names (issue 14 item 2)', () => {
  const hostileHeaders = ['constructor: c-value', '__proto__: p-value', 'hasOwnProperty: h-value', 'toString: t-value'];
  const target = `${API_BASE_PATH}?constructor=1&__proto__=2&hasOwnProperty=3&toString=4&valueOf=5`;

  test.each([
    ['the regional API', () => apiPort],
    ['the edge in front of it', () => port(edge.url)],
  ])('%s passes them to the function as plain names', async (_what, serverPort) => {
    const answer = await get(serverPort(), target, hostileHeaders);
    expect(answer.status).toBe(200);
    const echo = JSON.parse(answer.body);
    // JSON.parse, because `__proto__` in an object literal would set the prototype instead of a key.
    expect(echo.query).toEqual(JSON.parse('{"constructor":"1","__proto__":"2","hasOwnProperty":"3","toString":"4","valueOf":"5"}'));
    expect(echo.ownHeaderNames).toEqual(expect.arrayContaining(['constructor', '__proto__', 'hasOwnProperty', 'toString']));
    expect(echo.header).toBe('c-value');
    const event = events[events.length - 1];
    expect(Object.getPrototypeOf(event.headers)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(event.headers, '__proto__')?.value).toBe('p-value');
    expect(Object.getOwnPropertyDescriptor(event.query, '__proto__')?.value).toBe('2');
  });

  test('the token endpoint and the control socket shrug them off', async () => {
    const tokenAnswer = await raw(
      tokenEndpoint.port,
      [
        'POST /oauth2/token?constructor=1&__proto__=2 HTTP/1.1',
        'Host: x',
        '__proto__: x',
        'constructor: y',
        'Content-Type: application/x-www-form-urlencoded',
      ]
        .concat(['Content-Length: 42', 'Connection: close', '', 'grant_type=client_credentials&__proto__=x1'])
        .join('\r\n'),
    );
    expect(tokenAnswer.status).toBe(401);
    expect(JSON.parse(tokenAnswer.body)).toEqual({ error: 'invalid_client' });
    await expect(controlRequest(controlSocket, 'POST', '/invoke/pri/__proto__', {})).rejects.toThrow(/unknown function __proto__/);
    await expect(controlRequest(controlSocket, 'POST', '/invoke/constructor/GetToDos', {})).rejects.toThrow(/unknown control request/);
    expect(await controlRequest(controlSocket, 'POST', '/invoke/pri/GetToDos', { __proto__x: 1, constructor: 2 })).toEqual({
      result: { __proto__x: 1, constructor: 2 },
    });
  });

  test('a request target WHATWG URL parsing refuses is a 400, not a crash', async () => {
    for (const serverPort of [apiPort, tokenEndpoint.port]) {
      const answer = await get(serverPort, 'http://[::1');
      expect({ serverPort, status: answer.status }).toEqual({ serverPort, status: 400 });
    }
    expect((await get(apiPort, `${API_BASE_PATH}?id=1`)).status).toBe(200);
  });
});

describe('body limits (issue 14 item 4): 413 with the same envelope from every hop, never a reset', () => {
  const over = 'x'.repeat(MAX_BODY_BYTES + 1);
  const chunked = (text: string) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < text.length; i += 8192) controller.enqueue(new TextEncoder().encode(text.slice(i, i + 8192)));
        controller.close();
      },
    });
  const post = (url: string, body: string | ReadableStream<Uint8Array>, contentType = 'application/json') =>
    fetch(url, {
      method: 'POST',
      headers: { authorization: token, 'content-type': contentType },
      body,
      // A stream body needs duplex: 'half' (undici); RequestInit's type does not know it.
      ...(typeof body === 'string' ? {} : ({ duplex: 'half' } as object)),
    });

  test.each([
    ['API, Content-Length', () => `http://127.0.0.1:${apiPort}${API_BASE_PATH}`, () => over],
    ['API, chunked', () => `http://127.0.0.1:${apiPort}${API_BASE_PATH}`, () => chunked(over)],
    ['edge, Content-Length', () => `${edge.url}${API_BASE_PATH}`, () => over],
    ['edge, chunked', () => `${edge.url}${API_BASE_PATH}`, () => chunked(over)],
    ['edge, 10 MB', () => `${edge.url}${API_BASE_PATH}`, () => 'x'.repeat(10 * 1024 * 1024)],
    ['token endpoint, Content-Length', () => tokenEndpoint.tokenUrl, () => over],
    ['token endpoint, chunked', () => tokenEndpoint.tokenUrl, () => chunked(over)],
  ])('%s', async (_what, url, body) => {
    const res = await post(url(), body(), url().includes('oauth2') ? 'application/x-www-form-urlencoded' : 'application/json');
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request Too Long' });
  });

  test('a body of exactly the limit reaches the function, through the edge too', async () => {
    const body = JSON.stringify({ task: 'x'.repeat(MAX_BODY_BYTES - 30), status: 'wip' }).padEnd(MAX_BODY_BYTES, ' ');
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    for (const url of [`http://127.0.0.1:${apiPort}${API_BASE_PATH}`, `${edge.url}${API_BASE_PATH}`]) {
      const res = await post(url, body);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect(events[events.length - 1].body).toHaveLength(MAX_BODY_BYTES);
    }
  });

  test('the control socket refuses an oversized payload with 413 and a payload that is not JSON with 400', async () => {
    await expect(controlRequest(controlSocket, 'POST', '/invoke/pri/GetToDos', { x: 'y'.repeat(MAX_BODY_BYTES) })).rejects.toThrow(
      /request body over/,
    );
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const socket = net.connect(controlSocket, () =>
        socket.end('POST /invoke/pri/GetToDos HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{nope'),
      );
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.once('close', () => resolve({ status: Number(text.slice(9, 12)), text }));
      socket.once('error', reject);
    });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('the payload is not JSON');
  });
});

describe('slow and idle clients (issue 14 item 5): 408 in bounded time, and a connection cap', () => {
  const bound = limits.requestTimeoutMs + 4 * limits.checkIntervalMs + 500;

  test.each(['api', 'edge', 'token'] as const)('%s: headers that never finish', async (which) => {
    const answer = await raw(servers()[which], 'POST /v1 HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual({ message: 'Request Timeout' });
    expect(answer.ms).toBeLessThan(bound);
  });

  test.each(['api', 'edge', 'token'] as const)('%s: a body that never finishes', async (which) => {
    const target = which === 'token' ? '/oauth2/token' : API_BASE_PATH;
    const type = which === 'token' ? 'application/x-www-form-urlencoded' : 'application/json';
    const answer = await raw(
      servers()[which],
      `POST ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: ${token}\r\nContent-Type: ${type}\r\nContent-Length: 100\r\n\r\n{"ta`,
    );
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual({ message: 'Request Timeout' });
    expect(answer.ms).toBeLessThan(bound);
  });

  test.each(['api', 'edge', 'token'] as const)('%s: a connection that sends nothing is closed', async (which) => {
    const answer = await raw(servers()[which], '');
    expect(answer.status).toBe(408);
    expect(answer.ms).toBeLessThan(bound);
  });

  test('the defaults answer a slow client within ~10 s, and every server is built with them', () => {
    expect(SERVER_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(SERVER_LIMITS.requestTimeoutMs);
    expect(SERVER_LIMITS.requestTimeoutMs + SERVER_LIMITS.checkIntervalMs).toBeLessThanOrEqual(11_000);
    const server = createServer(() => undefined);
    expect({ headers: server.headersTimeout, request: server.requestTimeout, max: server.maxConnections }).toEqual({
      headers: SERVER_LIMITS.headersTimeoutMs,
      request: SERVER_LIMITS.requestTimeoutMs,
      max: SERVER_LIMITS.maxConnections,
    });
    // Each local server goes through createServer (the only place that sets the timeouts).
    for (const file of ['edge.ts', 'token-endpoint.ts', 'regional-api.ts', 'control-socket.ts']) {
      const source = fs.readFileSync(path.join(__dirname, '..', '..', 'util', 'local', file), 'utf8');
      expect({ file, createsOwn: /http\.createServer\(/.test(source), usesShared: /\bcreateServer\(/.test(source) }).toEqual({
        file,
        createsOwn: false,
        usesShared: true,
      });
    }
  });

  test('connections over the cap are closed as they arrive; the ones within it are served', async () => {
    const capped = await startEdge({ configFile: path.join(dir, 'edge.json'), port: 0, limits: { ...limits, maxConnections: 2 } });
    try {
      const held = await Promise.all([0, 1].map(() => openSocket(port(capped.url))));
      await new Promise((r) => setTimeout(r, 50));
      const third = await raw(port(capped.url), 'GET /__local/health HTTP/1.1\r\nHost: x\r\n\r\n', 2000);
      expect(third).toMatchObject({ status: 0, head: '' });
      held.forEach((s) => s.destroy());
      await new Promise((r) => setTimeout(r, 50));
      expect((await fetch(`${capped.url}/__local/health`)).status).toBe(200);
    } finally {
      await capped.close();
    }
  });
});

function openSocket(serverPort: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(serverPort, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('attacker text in headers and logs (issue 14 item 6)', () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const forged = (header: Record<string, unknown>) =>
    `${b64(header)}.${b64({ iss: issuer, token_use: 'access', scope: OAUTH_SCOPE, exp: 4102444800 })}.${b64('sig')}`;

  test.each([
    ['crit names with CR/LF', { alg: 'RS256', crit: ['evil\r\nX-Injected: yes', 'b64'], 'evil\r\nX-Injected: yes': 1, b64: false }],
    ['a crit name that looks like a log line', { alg: 'RS256', crit: ['\n2026-01-01 forged log line'], '\n2026-01-01 forged log line': 1 }],
    ['a kid with CR/LF', { alg: 'RS256', kid: 'k\r\nX-Injected: yes' }],
    ['an unknown alg', { alg: 'X\r\nX-Injected: yes' }],
  ])('%s: 401, a fixed reason in the header and the log, nothing of the token', async (_what, header) => {
    const before = apiLog.length;
    const res = await fetch(`${edge.url}${API_BASE_PATH}?id=1`, { headers: { authorization: forged(header) } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
    expect(Object.values(REFUSALS)).toContain(res.headers.get('x-todomgmt-auth-error'));
    expect(res.headers.get('x-injected')).toBeNull();
    const logged = apiLog.slice(before).join('\n');
    expect(logged).toMatch(/refused 401: /);
    expect(logged).not.toMatch(/evil|Injected|forged log line|X\r/);
  });
});
