// The article's walkthrough against the local edge, a switchover under write load, the refusals, and a
// failback through the real `npm run failover -- --local` CLI. One rehearsal for the whole file.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadOrCreateSigningKey, signAccessToken } from '../../util/local/token-endpoint';
import { statePaths } from '../../util/local/state';
import { AlreadyRunningError, Rehearsal } from '../../util/local/supervisor';
import { readTopology } from '../../util/local/topology';
import { startTestRehearsal, type TestRehearsal } from './harness';

jest.setTimeout(60_000);

let t: TestRehearsal;
let token: string;
let edge: string;

beforeAll(async () => {
  t = await startTestRehearsal();
  edge = `${t.endpoints.edgeUrl}/v1`;
  token = await t.token();
}, 120_000);

afterAll(async () => {
  await t?.stop();
}, 60_000);

const ids: Record<string, number> = {};

test("without COGNITO_REPLICA there is one token endpoint, the primary region's", () => {
  expect(t.endpoints.regions.pri.tokenUrl).toBe(t.endpoints.tokenUrl);
  expect(t.endpoints.regions.secd.tokenUrl).toBeUndefined();
  expect(t.rehearsal.status().tokenEndpoints.map((e) => e.role)).toEqual(['pri']);
});

test('walkthrough: create two ToDos, read one, update it, delete the other, through the edge', async () => {
  const first = await t.api(edge, { method: 'POST', token, body: { task: 'Sample Task new', status: 'wip' } });
  expect(first).toMatchObject({
    status: 201,
    region: t.config.regions.pri,
    json: { status: 'ok', response: { task: 'Sample Task new', status: 'wip' } },
  });
  const second = await t.api(edge, {
    method: 'POST',
    token: `Bearer ${token}`,
    body: { task: 'Sample Task new for failover', status: 'wip' },
  });
  expect(second.status).toBe(201);
  ids.first = first.json.response.id;
  ids.second = second.json.response.id;

  const read = await t.api(`${edge}?id=${ids.first}`, { token });
  expect(read).toMatchObject({ status: 200, json: { response: { id: ids.first, task: 'Sample Task new' } } });

  const updated = await t.api(edge, {
    method: 'POST',
    token,
    body: { id: String(ids.first), task: 'Sample Task Updated', status: 'done' },
  });
  expect(updated).toMatchObject({ status: 200, json: { response: { id: ids.first, status: 'done' } } });

  const deleted = await t.api(edge, { method: 'DELETE', token, body: { id: String(ids.second) } });
  expect(deleted.status).toBe(200);
  expect((await t.api(`${edge}?id=${ids.second}`, { token })).status).toBe(404);
  // Replicated to the passive region's database.
  const replica = await t.api(`${t.endpoints.regions.secd.apiUrl}/v1?id=${ids.first}`, { token });
  expect(replica).toMatchObject({ status: 200, region: t.config.regions.secd, json: { response: { status: 'done' } } });
});

test('refuses missing, garbled, forged, expired and wrong-issuer tokens with 401, a token without the scope with 403', async () => {
  const paths = statePaths(t.config.stateDir);
  const realKey = await loadOrCreateSigningKey(paths.signingKey);
  const attacker = await loadOrCreateSigningKey(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-key-')), 'k.json'));
  const issuer = new URL(t.endpoints.tokenUrl).origin;
  const claims = { issuer, clientId: t.endpoints.clientId, scope: t.endpoints.scope };
  const cases: [string, string | undefined, number][] = [
    ['missing', undefined, 401],
    ['garbled', 'Bearer abc.def.ghi', 401],
    ['forged', await signAccessToken({ ...attacker, kid: realKey.kid }, claims), 401],
    ['expired', await signAccessToken(realKey, { ...claims, now: Math.floor(Date.now() / 1000) - 7200 }), 401],
    ['wrong issuer', await signAccessToken(realKey, { ...claims, issuer: 'http://127.0.0.1:1' }), 401],
    ['without the scope', await signAccessToken(realKey, { ...claims, scope: 'api/read-only' }), 403],
  ];
  for (const [what, header, status] of cases) {
    for (const method of ['GET', 'POST'] as const) {
      const res = await t.api(method === 'GET' ? `${edge}?id=${ids.first}` : edge, {
        method,
        token: header,
        body: method === 'POST' ? { task: what, status: 'x' } : undefined,
      });
      expect({ what, method, status: res.status, body: res.json }).toEqual({
        what,
        method,
        status,
        body: { message: status === 401 ? 'Unauthorized' : 'Forbidden' },
      });
    }
  }
  const rows = await t.sql('pri', 'SELECT COUNT(*) AS n FROM ToDos');
  expect(Number(rows[0].n)).toBe(1);
  // The token endpoint refuses a wrong secret like Cognito.
  const wrong = await fetch(t.endpoints.tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${t.endpoints.clientId}:nope`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  expect(wrong.status).toBe(401);
  expect(await wrong.json()).toEqual({ error: 'invalid_client' });
});

test('a write sent to the passive region is refused with 503 and stored nowhere', async () => {
  const res = await t.api(`${t.endpoints.regions.secd.apiUrl}/v1`, {
    method: 'POST',
    token,
    body: { task: 'must not exist', status: 'wip' },
  });
  expect(res).toMatchObject({ status: 503, region: t.config.regions.secd, json: { status: 'error' } });
  for (const role of ['pri', 'secd'] as const) {
    expect(await t.sql(role, 'SELECT id FROM ToDos WHERE Task = ?', ['must not exist'])).toEqual([]);
  }
});

test('unknown paths and methods get 404 and 405, not a handler', async () => {
  expect((await t.api(`${t.endpoints.edgeUrl}/v2`, { token })).status).toBe(404);
  const put = await fetch(edge, { method: 'PUT', headers: { authorization: token } });
  expect(put.status).toBe(405);
  expect(put.headers.get('allow')).toBe('GET, POST, DELETE');
});

test('switchover under write load: no acknowledged write is lost, the same edge URL then answers from secd', async () => {
  const acknowledged: number[] = [];
  const refused: number[] = [];
  let writing = true;
  const writer = async (n: number) => {
    for (let i = 0; writing && i < 400; i++) {
      const res = await t.api(edge, { method: 'POST', token, body: { task: `load ${n}-${i}`, status: 'wip' } }).catch(() => undefined);
      if (res?.status === 201) acknowledged.push(res.json.response.id);
      else refused.push(res?.status ?? 0);
    }
  };
  const load = [1, 2, 3].map(writer);
  await new Promise((r) => setTimeout(r, 300));
  const report = await t.failover('switchover');
  await new Promise((r) => setTimeout(r, 300));
  writing = false;
  await Promise.all(load);

  expect(report.outcome).toBe('completed');
  expect(report.to).toEqual({ role: 'secd', region: t.config.regions.secd });
  expect(acknowledged.length).toBeGreaterThan(10);
  // During the switch writes are refused (503 read-only), never acknowledged and lost.
  expect(refused.every((s) => s === 503)).toBe(true);
  const stored = new Set((await t.sql<{ id: number }>('secd', 'SELECT id FROM ToDos')).map((r) => Number(r.id)));
  expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);

  const read = await t.api(`${edge}?id=${ids.first}`, { token });
  expect(read).toMatchObject({ status: 200, region: t.config.regions.secd, json: { response: { task: 'Sample Task Updated' } } });
  const again = await t.api(edge, { method: 'POST', token, body: { task: 'written in secd', status: 'wip' } });
  expect(again).toMatchObject({ status: 201, region: t.config.regions.secd });
  ids.secd = again.json.response.id;
  // The old primary is now a read-only replica of the new one.
  const old = await t.api(`${t.endpoints.regions.pri.apiUrl}/v1`, { method: 'POST', token, body: { task: 'old primary', status: 'wip' } });
  expect(old.status).toBe(503);
  expect(readTopology(statePaths(t.config.stateDir).topology)).toMatchObject({ writer: 'secd', generation: 2 });
});

test('fail back with the real CLI: npm run failover -- --local --yes', async () => {
  const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', require.resolve('ts-node/register/transpile-only'), 'util/failover.ts', '--local', '--yes'],
      {
        cwd: path.join(__dirname, '..', '..'),
        env: { ...process.env, LOCAL_STATE_DIR: t.config.stateDir },
      },
    );
    let text = '';
    child.stdout.on('data', (c) => (text += c));
    child.stderr.on('data', (c) => (text += c));
    child.once('exit', (code) => resolve({ code, text }));
  });
  expect(output).toMatchObject({ code: 0 });
  expect(output.text).toMatch(/Done: us-east-1 is the writer|Done: .* is the writer/);

  const read = await t.api(`${edge}?id=${ids.secd}`, { token });
  expect(read).toMatchObject({ status: 200, region: t.config.regions.pri, json: { response: { task: 'written in secd' } } });
  const write = await t.api(edge, { method: 'POST', token, body: { task: 'back home', status: 'done' } });
  expect(write).toMatchObject({ status: 201, region: t.config.regions.pri });
  // Running the same switchover target again changes nothing.
  const noop = await t.failover('switchover', 'pri');
  expect(noop.outcome).toBe('no-op');
});

test('a second start on the same state dir is refused and leaves the running one intact', async () => {
  await expect(Rehearsal.start({ config: t.config, log: () => undefined })).rejects.toBeInstanceOf(AlreadyRunningError);
  expect(fs.existsSync(statePaths(t.config.stateDir).endpoints)).toBe(true);
  expect((await t.api(`${edge}?id=${ids.first}`, { token })).status).toBe(200);
});
