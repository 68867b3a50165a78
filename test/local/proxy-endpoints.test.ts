// The rehearsal's regions behind their RDS Proxy stand-ins, as on AWS: the passive region reads through
// its read-only endpoint and refuses writes with 503, the application user comes from CREATE_TABLE on the
// writer and replicates, and a switchover flips both regions. Asserted on the stand-ins' counters, not
// only on status codes. One rehearsal for the file.
import * as fs from 'node:fs';
import type { RegionRole } from '#names';
import type { RegionProxyStatus } from '../../util/local/region-processes';
import { statePaths } from '../../util/local/state';
import { startTestRehearsal, type TestRehearsal } from './harness';

jest.setTimeout(60_000);

let t: TestRehearsal;
let token: string;

beforeAll(async () => {
  t = await startTestRehearsal();
  token = await t.token();
}, 120_000);

afterAll(async () => {
  await t?.stop();
}, 60_000);

const proxy = (role: RegionRole): RegionProxyStatus => {
  const region = t.rehearsal.status().regions.find((r) => r.role === role);
  if (!region?.proxy) throw new Error(`no proxy status for ${role}`);
  return region.proxy;
};
const api = (role: RegionRole) => `${t.endpoints.regions[role].apiUrl}/v1`;
const count = async (role: RegionRole) => Number((await t.sql<{ n: number }>(role, 'SELECT COUNT(*) AS n FROM ToDos'))[0].n);

test('endpoints.json lists each region’s proxy ports, the ones status reports', () => {
  const endpoints = JSON.parse(fs.readFileSync(statePaths(t.config.stateDir).endpoints, 'utf8'));
  for (const role of ['pri', 'secd'] as const) {
    expect(endpoints.regions[role].proxy).toEqual(proxy(role).ports);
  }
});

test('the application user comes from CREATE_TABLE on the writer, replicated, with DML on the table only', async () => {
  for (const role of ['pri', 'secd'] as const) {
    expect(await t.sql(role, "SELECT User, Host FROM mysql.user WHERE User = 'todo_app'")).toEqual([{ User: 'todo_app', Host: '%' }]);
    const grants = (await t.sql(role, "SHOW GRANTS FOR 'todo_app'@'%'")).map((row) => Object.values(row)[0] as string);
    expect(grants.filter((g) => !g.startsWith('GRANT USAGE'))).toEqual([
      'GRANT SELECT, INSERT, UPDATE, DELETE ON `todos`.`ToDos` TO `todo_app`@`%`',
    ]);
  }
});

test('the passive region reads through its read-only endpoint and refuses writes with 503', async () => {
  const created = await t.api(`${t.endpoints.edgeUrl}/v1`, { method: 'POST', token, body: { task: 'through the edge', status: 'wip' } });
  expect(created).toMatchObject({ status: 201, region: t.config.regions.pri });
  const before = proxy('secd').counters;
  const read = await t.api(`${api('secd')}?id=${created.json.response.id}`, { token });
  expect(read).toMatchObject({ status: 200, region: t.config.regions.secd, json: { response: { task: 'through the edge' } } });
  const after = proxy('secd').counters;
  expect(after.readWrite.refused - before.readWrite.refused).toBe(1);
  expect(after.readWrite.forwarded - before.readWrite.forwarded).toBe(0);
  expect(after.readOnly.forwarded - before.readOnly.forwarded).toBe(1);

  const rows = await count('pri');
  const write = await t.api(api('secd'), { method: 'POST', token, body: { task: 'goes nowhere', status: 'wip' } });
  expect(write).toMatchObject({
    status: 503,
    region: t.config.regions.secd,
    json: { response: expect.stringContaining('passive region') },
  });
  expect(await count('pri')).toBe(rows);
  // The primary never needed its read-only endpoint (it has no reader).
  expect(proxy('pri').counters.readOnly.accepted).toBe(0);
});

test('after a switchover both flip: secd writes through read/write, pri refuses writes and reads through read-only', async () => {
  await t.failover('switchover');
  const secdBefore = proxy('secd').counters;
  const created = await t.api(`${t.endpoints.edgeUrl}/v1`, { method: 'POST', token, body: { task: 'written in secd', status: 'wip' } });
  expect(created).toMatchObject({ status: 201, region: t.config.regions.secd });
  expect(proxy('secd').counters.readWrite.forwarded).toBeGreaterThan(secdBefore.readWrite.forwarded);

  const priBefore = proxy('pri').counters;
  expect(await t.api(api('pri'), { method: 'POST', token, body: { task: 'x', status: 'y' } })).toMatchObject({ status: 503 });
  // Reads now come through the old primary's read-only endpoint (its read/write sessions were cut by the
  // fence before the stand-in would have closed them).
  await waitFor(async () => (await t.api(`${api('pri')}?id=${created.json.response.id}`, { token })).status === 200);
  const priAfter = proxy('pri').counters;
  expect(priAfter.readWrite.refused).toBeGreaterThan(priBefore.readWrite.refused);
  expect(priAfter.readOnly.forwarded).toBeGreaterThan(priBefore.readOnly.forwarded);
});

/** Replication to the new replica takes a moment; bounded. */
async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
