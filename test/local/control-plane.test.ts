// The CloudFront control plane stand-in: the only writer of the distribution config (edge.json),
// GET with the version as ETag, PUT with If-Match (412 when stale), and a client error that says so
// when it is down.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DISTRIBUTION_PATH, putDistributionOrigin, startControlPlane, type ControlPlane } from '../../util/local/control-plane';
import { readEdgeConfig, reconcileEdgeConfig, type EdgeOrigin } from '../../util/local/edge-config';

let dir: string;
let file: string;
let plane: ControlPlane;
const origins: Record<'pri' | 'secd', EdgeOrigin> = {
  pri: { role: 'pri', region: 'us-east-1', url: 'http://127.0.0.1:1' },
  secd: { role: 'secd', region: 'us-west-2', url: 'http://127.0.0.1:2' },
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-plane-'));
  file = path.join(dir, 'edge.json');
  await reconcileEdgeConfig(file, origins.pri, (role) => origins[role]);
  plane = await startControlPlane({ configFile: file, origins: () => origins });
});

afterAll(async () => {
  await plane.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const put = (ifMatch: string | undefined, body: unknown) =>
  fetch(`${plane.url}${DISTRIBUTION_PATH}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(ifMatch ? { 'if-match': ifMatch } : {}) },
    body: JSON.stringify(body),
  });

test('GET answers the config with its version as ETag', async () => {
  const res = await fetch(`${plane.url}${DISTRIBUTION_PATH}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('etag')).toBe('1');
  expect(((await res.json()) as { origin: EdgeOrigin }).origin).toEqual(origins.pri);
});

test('PUT needs If-Match and a known origin; a stale ETag is 412 and changes nothing', async () => {
  expect((await put(undefined, { role: 'secd' })).status).toBe(400);
  expect((await put('1', { role: 'elsewhere' })).status).toBe(400);
  expect((await put('7', { role: 'secd' })).status).toBe(412);
  expect(readEdgeConfig(file)?.origin.role).toBe('pri');
});

test('putDistributionOrigin swaps the origin with the current ETag', async () => {
  const next = await putDistributionOrigin(plane.url, readEdgeConfig(file)?.version ?? 0, origins.secd);
  expect(next.origin).toEqual(origins.secd);
  expect(readEdgeConfig(file)).toEqual(next);
  await expect(putDistributionOrigin(plane.url, 1, origins.pri)).rejects.toThrow(/412: PreconditionFailed/);
});

test('a control plane that is down gives an error naming it', async () => {
  const other = await startControlPlane({ configFile: file, origins: () => origins });
  await other.close();
  await expect(putDistributionOrigin(other.url, 2, origins.pri)).rejects.toThrow(/control plane stand-in .* does not answer/);
});
