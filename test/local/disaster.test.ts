// Disaster rehearsal: the primary region dies (database and API killed), an unplanned failover
// promotes the secondary without contacting it, and the old primary comes back fenced and rejoins as a
// replica; if it holds writes that never left it, it is rebuilt from the new primary with a dump kept.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EDGE_MESSAGES } from '../../util/local/edge';
import { PID_FILE } from '../../util/local/mariadb-process';
import { statePaths, withFileLock } from '../../util/local/state';
import { readTopology } from '../../util/local/topology';
import { alive, startDecoy, startTestRehearsal, stopDecoy, type TestRehearsal } from './harness';

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

async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `npm run local -- status` against this rehearsal, as a user would run it. */
function statusCommand(stateDir: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), 'util/local/cli.ts', 'status'], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, LOCAL_STATE_DIR: stateDir },
    });
    let text = '';
    child.stdout.on('data', (c) => (text += c));
    child.stderr.on('data', (c) => (text += c));
    child.once('exit', () => resolve(text));
  });
}

const readOnly = async (role: 'pri' | 'secd') => Number((await t.sql(role, 'SELECT @@GLOBAL.read_only AS ro'))[0].ro);

test('unplanned failover with the primary dead, then the old primary comes back fenced and replicates', async () => {
  const before = await t.api(edge, { method: 'POST', token, body: { task: 'written before the disaster', status: 'wip' } });
  expect(before.status).toBe(201);
  await eventually(
    () => t.sql('secd', 'SELECT id FROM ToDos WHERE id = ?', [before.json.response.id]),
    (rows) => rows.length === 1,
  );

  await t.rehearsal.killRegion('pri');
  const down = await t.api(`${edge}?id=${before.json.response.id}`, { token });
  expect(down.status).toBe(502);
  // Clients get a plain message; what to do is in the log and in status.
  expect(down.json).toEqual({ message: EDGE_MESSAGES.unreachable });
  expect(t.log.join('\n')).toMatch(/edge: the active origin us-east-1 .* is not answering .*npm run failover -- --local --mode failover/);
  const shown = await statusCommand(t.config.stateDir);
  expect(shown).toMatch(/WARNING: the edge sends traffic to us-east-1 \(pri, http:\/\/127\.0\.0\.1:\d+\), whose API is not answering/);
  expect(shown).toContain('npm run failover -- --local --mode failover');

  const report = await t.failover('failover');
  expect(report.outcome).toBe('completed');
  expect(report.to?.role).toBe('secd');
  expect(report.notes.join(' ')).toMatch(/revive-region pri/);

  const read = await t.api(`${edge}?id=${before.json.response.id}`, { token });
  expect(read).toMatchObject({ status: 200, region: t.config.regions.secd });
  const after = await t.api(edge, { method: 'POST', token, body: { task: 'written after the failover', status: 'wip' } });
  expect(after).toMatchObject({ status: 201, region: t.config.regions.secd });

  // SIGKILL left pri's pid file behind; by now its pid may be another process's. Revive must not touch it.
  const decoy = startDecoy(t.config.stateDir);
  try {
    fs.writeFileSync(path.join(statePaths(t.config.stateDir).dbDataDir('pri'), PID_FILE), `${decoy.pid}\n`);
    await t.rehearsal.reviveRegion('pri');
    expect(alive(decoy.pid)).toBe(true);
  } finally {
    await stopDecoy(decoy);
  }
  expect(await readOnly('pri')).toBe(1);
  const refused = await t.api(`${t.endpoints.regions.pri.apiUrl}/v1`, {
    method: 'POST',
    token,
    body: { task: 'old primary takes no writes', status: 'wip' },
  });
  expect(refused.status).toBe(503);
  expect(await t.sql('secd', 'SELECT id FROM ToDos WHERE Task = ?', ['old primary takes no writes'])).toEqual([]);
  // It replicates from the new primary: the write made during its absence arrives.
  const copy = await eventually(
    () => t.sql('pri', 'SELECT Task FROM ToDos WHERE id = ?', [after.json.response.id]),
    (rows) => rows.length === 1,
  );
  expect(copy).toEqual([{ Task: 'written after the failover' }]);
  const status = (await t.sql('pri', 'SHOW SLAVE STATUS'))[0];
  expect(status).toMatchObject({ Master_Port: t.endpoints.regions.secd.dbPort, Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' });
  expect(readTopology(statePaths(t.config.stateDir).topology)).toMatchObject({ writer: 'secd', generation: 2 });
});

test('an old primary holding writes that never replicated is rebuilt from the new primary, its data dumped', async () => {
  const paths = statePaths(t.config.stateDir);
  let lostId = 0;
  // Hold the operation lock so the supervisor does not repair replication behind our back.
  await withFileLock(paths.operation, async () => {
    await t.sql('pri', 'STOP SLAVE');
    const lost = await t.api(edge, { method: 'POST', token, body: { task: 'acknowledged, never replicated', status: 'wip' } });
    expect(lost).toMatchObject({ status: 201, region: t.config.regions.secd });
    lostId = lost.json.response.id;
    await t.rehearsal.killRegion('secd');
  });

  const report = await t.failover('failover', 'pri');
  expect(report.to?.role).toBe('pri');
  const fresh = await t.api(edge, { method: 'POST', token, body: { task: 'written in pri after the second disaster', status: 'wip' } });
  expect(fresh).toMatchObject({ status: 201, region: t.config.regions.pri });

  await t.rehearsal.reviveRegion('secd');
  expect(await readOnly('secd')).toBe(1);
  expect(t.log.join('\n')).toMatch(/DIVERGED/);
  // Rebuilt as a copy of pri: has pri's new write, not the lost one...
  const rows = await eventually(
    () => t.sql('secd', 'SELECT id FROM ToDos WHERE id = ?', [fresh.json.response.id]),
    (r) => r.length === 1,
  );
  expect(rows).toHaveLength(1);
  expect(await t.sql('secd', 'SELECT id FROM ToDos WHERE Task = ?', ['acknowledged, never replicated'])).toEqual([]);
  // ...and the lost write is kept in the dump for a human to reconcile.
  const dumps = fs.readdirSync(paths.regionDir('secd')).filter((f) => f.startsWith('diverged-'));
  expect(dumps).toHaveLength(1);
  expect(fs.readFileSync(`${paths.regionDir('secd')}/${dumps[0]}`, 'utf8')).toContain('acknowledged, never replicated');
  expect(lostId).toBeGreaterThan(0);
  const status = (await t.sql('secd', 'SHOW SLAVE STATUS'))[0];
  expect(status).toMatchObject({ Master_Port: t.endpoints.regions.pri.dbPort, Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' });

  // Both healthy again: a planned switchover works in either direction.
  expect((await t.failover('switchover')).to?.role).toBe('secd');
  expect((await t.api(edge, { method: 'POST', token, body: { task: 'after all that', status: 'done' } })).region).toBe(
    t.config.regions.secd,
  );
});
