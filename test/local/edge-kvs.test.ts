// The KeyValueStore stand-in: compare-and-swap writes (PutKey/DeleteKey with IfMatch), and the edge
// choosing its origin per request as origin-selector.js does: a key naming a known API wins, an
// absent or unknown one leaves the configured origin.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { EDGE_ORIGIN_KEY } from '#names';
import { startEdge, type Edge } from '../../util/local/edge';
import { reconcileEdgeConfig, type EdgeOrigin } from '../../util/local/edge-config';
import { KvsPreconditionError, readKvs, reconcileKvs, selectOrigin, writeKvsKey } from '../../util/local/edge-kvs';

let dir: string;
let edge: Edge;
let kvsFile: string;
const servers: http.Server[] = [];
let known: EdgeOrigin[];

async function origin(name: string): Promise<string> {
  const server = http.createServer((_req, res) => res.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}
const host = (url: string) => new URL(url).host;
const served = async () => (await fetch(`${edge.url}/v1/x`)).text();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-kvs-'));
  kvsFile = path.join(dir, 'edge-kvs.json');
  known = [
    { role: 'pri', region: 'us-east-1', url: await origin('pri') },
    { role: 'secd', region: 'us-west-2', url: await origin('secd') },
  ];
  const configFile = path.join(dir, 'edge.json');
  await reconcileEdgeConfig(configFile, known[0], () => known[0]);
  edge = await startEdge({ configFile, kvsFile, knownOrigins: () => known });
});

afterAll(async () => {
  await edge.close();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an empty store has an ETag and no key; writes need the current ETag', async () => {
  const file = path.join(dir, 'cas.json');
  const empty = readKvs(file);
  expect(empty.items).toEqual({});
  const first = await writeKvsKey(file, EDGE_ORIGIN_KEY, 'a:1', empty.etag);
  expect(first.etag).not.toBe(empty.etag);
  expect(readKvs(file).items[EDGE_ORIGIN_KEY]).toBe('a:1');
  // A writer working from the stale ETag loses, and changes nothing.
  await expect(writeKvsKey(file, EDGE_ORIGIN_KEY, 'b:2', empty.etag)).rejects.toBeInstanceOf(KvsPreconditionError);
  expect(readKvs(file).items[EDGE_ORIGIN_KEY]).toBe('a:1');
  const deleted = await writeKvsKey(file, EDGE_ORIGIN_KEY, undefined, first.etag);
  expect(deleted.items).toEqual({});
});

test('selectOrigin: a known host wins, absent or unknown falls back to the configured origin', () => {
  expect(selectOrigin(known[0], host(known[1].url), known)).toBe(known[1]);
  expect(selectOrigin(known[0], undefined, known)).toBe(known[0]);
  expect(selectOrigin(known[0], 'evil.example:443', known)).toBe(known[0]);
});

test('the edge follows the key from the next request, and the configured origin when it goes', async () => {
  expect(await served()).toBe('pri');
  const put = await writeKvsKey(kvsFile, EDGE_ORIGIN_KEY, host(known[1].url), readKvs(kvsFile).etag);
  expect(await served()).toBe('secd');
  const bogus = await writeKvsKey(kvsFile, EDGE_ORIGIN_KEY, '127.0.0.1:1', put.etag);
  expect(await served()).toBe('pri');
  await writeKvsKey(kvsFile, EDGE_ORIGIN_KEY, undefined, bogus.etag);
  expect(await served()).toBe('pri');
});

test('reconcileKvs points a key naming no current API (ports moved) at the writer, and leaves a valid one', async () => {
  const file = path.join(dir, 'reconcile.json');
  await reconcileKvs(file, known, known[1]);
  expect(readKvs(file).items).toEqual({}); // no key: nothing to refresh
  await writeKvsKey(file, EDGE_ORIGIN_KEY, '127.0.0.1:1', readKvs(file).etag);
  await reconcileKvs(file, known, known[1]);
  expect(readKvs(file).items[EDGE_ORIGIN_KEY]).toBe(host(known[1].url));
  await reconcileKvs(file, known, known[0]);
  expect(readKvs(file).items[EDGE_ORIGIN_KEY]).toBe(host(known[1].url));
});
