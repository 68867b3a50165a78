// The edge: forwards everything to the active origin, follows edge.json changes without a restart,
// tells clients plainly that the origin is down (and the log what to do), and changes origin only by
// compare-and-swap.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { EDGE_MESSAGES, startEdge, type Edge } from '../../util/local/edge';
import { EdgeVersionConflictError, readEdgeConfig, reconcileEdgeConfig, updateEdgeOrigin } from '../../util/local/edge-config';
import { freePort } from '../../util/local/ports';

let dir: string;
let file: string;
let edge: Edge;
const log: string[] = [];
const origins: http.Server[] = [];
const seen: { name: string; method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

async function origin(name: string): Promise<string> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ name, method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(207, { 'content-type': 'application/json', 'x-origin': name });
      res.end(JSON.stringify({ name }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origins.push(server);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

let a: string;
let b: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-edge-'));
  file = path.join(dir, 'edge.json');
  a = await origin('a');
  b = await origin('b');
  await reconcileEdgeConfig(file, { role: 'pri', region: 'us-east-1', url: a }, () => {
    throw new Error('not used on first start');
  });
  edge = await startEdge({ configFile: file, port: 0, log: (line) => log.push(line) });
});

afterAll(async () => {
  await edge.close();
  await Promise.all(origins.map((s) => new Promise((r) => s.close(r))));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('forwards method, path, query, headers (Authorization included) and body; returns status, headers and body', async () => {
  const res = await fetch(`${edge.url}/v1?id=7&x=a%20b`, {
    method: 'DELETE',
    headers: { authorization: 'raw-token', 'content-type': 'application/json', 'x-custom': '1' },
    body: '{"id":"7"}',
  });
  expect(res.status).toBe(207);
  expect(res.headers.get('x-origin')).toBe('a');
  expect(await res.json()).toEqual({ name: 'a' });
  const last = seen[seen.length - 1];
  expect(last).toMatchObject({ name: 'a', method: 'DELETE', url: '/v1?id=7&x=a%20b', body: '{"id":"7"}' });
  expect(last.headers).toMatchObject({ authorization: 'raw-token', 'x-custom': '1', host: new URL(a).host });
});

test('a compare-and-swap on the version switches the origin for the next request; a stale version is refused', async () => {
  const current = readEdgeConfig(file)!;
  const next = await updateEdgeOrigin(file, current.version, { role: 'secd', region: 'us-east-2', url: b });
  expect(next.version).toBe(current.version + 1);
  expect((await fetch(`${edge.url}/v1`)).headers.get('x-origin')).toBe('b');

  await expect(updateEdgeOrigin(file, current.version, { role: 'pri', region: 'us-east-1', url: a })).rejects.toBeInstanceOf(
    EdgeVersionConflictError,
  );
  expect(readEdgeConfig(file)!.origin.url).toBe(b);
});

test('concurrent swaps from the same version: exactly one wins', async () => {
  const { version } = readEdgeConfig(file)!;
  const results = await Promise.allSettled(
    Array.from({ length: 5 }, (_, i) => updateEdgeOrigin(file, version, { role: i % 2 ? 'pri' : 'secd', region: 'r', url: i % 2 ? a : b })),
  );
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  expect(readEdgeConfig(file)!.version).toBe(version + 1);
});

test('an origin that is down: clients get a plain 502, the log says once which origin and what to do', async () => {
  const { version } = readEdgeConfig(file)!;
  const dead = `http://127.0.0.1:${await freePort()}`;
  await updateEdgeOrigin(file, version, { role: 'pri', region: 'us-east-1', url: dead });
  log.length = 0;
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${edge.url}/v1`);
    expect(res.status).toBe(502);
    // Nothing about the deployment: no origin URL, no state path, no command.
    expect(await res.json()).toEqual({ message: EDGE_MESSAGES.unreachable });
  }
  const hints = log.filter((line) => /not answering/.test(line));
  expect(hints).toHaveLength(1);
  expect(hints[0]).toContain('us-east-1');
  expect(hints[0]).toContain(dead);
  expect(hints[0]).toContain('npm run failover -- --local --mode failover');
  expect(hints[0]).toContain(file);

  // Back to a live origin: answered again, and the log says so.
  const next = readEdgeConfig(file)!;
  await updateEdgeOrigin(file, next.version, { role: 'pri', region: 'us-east-1', url: a });
  expect((await fetch(`${edge.url}/v1`)).status).toBe(207);
  expect(log[log.length - 1]).toMatch(/answers again/);
});

test('no edge config: a plain 502 for the client, the file in the log', async () => {
  const missing = path.join(dir, 'missing.json');
  const lines: string[] = [];
  const lonely = await startEdge({ configFile: missing, port: 0, log: (line) => lines.push(line) });
  try {
    const res = await fetch(`${lonely.url}/v1`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ message: EDGE_MESSAGES.noOrigin });
    expect(lines.join('\n')).toContain(missing);
  } finally {
    await lonely.close();
  }
});
