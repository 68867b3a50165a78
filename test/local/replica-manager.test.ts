// The replica manager on two real MariaDB servers, without a supervisor: nothing runs its reconciler
// behind the test's back, so every rejoin seen here is one the manager completed by itself.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REGION_ROLES, type RegionRole } from '#names';
import { withAdmin } from '../../util/local/admin-connection';
import type { MariaDbServer } from '../../util/local/mariadb';
import { startRegionDatabase, stopRegionDatabase } from '../../util/local/region-database';
import { ReplicaManager } from '../../util/local/replica-manager';
import { loadOrCreateSecrets, type LocalSecrets } from '../../util/local/secrets';
import { statePaths, withFileLock, type StatePaths } from '../../util/local/state';
import { loadOrInitTopology, readTopology } from '../../util/local/topology';
import { processesMentioning } from './harness';

jest.setTimeout(60_000);

const database = 'todos';
const names: Record<RegionRole, string> = { pri: 'us-east-1', secd: 'us-east-2' };
let dir: string;
let paths: StatePaths;
let secrets: LocalSecrets;
const dbs: Partial<Record<RegionRole, MariaDbServer>> = {};
const log: string[] = [];
let replicas: ReplicaManager;

const db = (role: RegionRole): MariaDbServer => {
  const server = dbs[role];
  if (!server) throw new Error(`${role} is not running`);
  return server;
};

const sql = <T>(role: RegionRole, query: string, params?: unknown[]) =>
  withAdmin({ name: role, port: db(role).port }, secrets, async (c) => (await c.query(query, params))[0] as T);

const replicaStatus = async (role: RegionRole) =>
  (await sql<Array<{ Master_Port: number; Slave_IO_Running: string; Slave_SQL_Running: string }>>(role, 'SHOW SLAVE STATUS'))[0];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-rm-'));
  paths = statePaths(dir);
  secrets = loadOrCreateSecrets(paths.secrets);
  await loadOrInitTopology(paths.topology);
  for (const role of REGION_ROLES) {
    dbs[role] = await startRegionDatabase({
      role,
      regionName: names[role],
      dataDir: paths.dbDataDir(role),
      port: 0,
      database,
      secrets,
      log: () => undefined,
    });
  }
  replicas = new ReplicaManager({
    paths,
    secrets,
    database,
    region: (role) => ({ name: names[role], dbPort: db(role).port }),
    log: (line) => log.push(line),
  });
}, 120_000);

afterAll(async () => {
  for (const role of REGION_ROLES) {
    const server = dbs[role];
    if (server) await stopRegionDatabase(server, 'SIGTERM');
  }
  const left = processesMentioning(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  expect(left).toEqual([]);
});

test('gives each region the role topology.json says: the writer opens, the other replicates from it', async () => {
  await replicas.exclusive(async () => {
    await replicas.configureRole('pri');
    await replicas.configureRole('secd');
  });
  await sql('pri', `CREATE TABLE ${database}.t (id INT PRIMARY KEY, what VARCHAR(40))`);
  await sql('pri', `INSERT INTO ${database}.t VALUES (1, 'replicated')`);
  await replicas.waitUntilReplicated('secd', 10);

  expect(await sql('secd', `SELECT what FROM ${database}.t`)).toEqual([{ what: 'replicated' }]);
  expect(await replicaStatus('secd')).toMatchObject({ Master_Port: db('pri').port, Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' });
  expect((await replicas.state('secd')).readOnly).toBe(true);
  expect(await replicas.writerTopology('pri')).toMatchObject({ writer: 'pri', generation: 1 });
  expect(await replicas.replicaLagSeconds('secd', true)).toBe(0);
});

test('the reconciler fences a non-writer it finds writable, and skips its pass while a role change holds the lock', async () => {
  await sql('secd', 'SET GLOBAL read_only = 0');
  await withFileLock(paths.operation, () => replicas.reconcile());
  expect((await replicas.state('secd')).readOnly).toBe(false);

  await replicas.reconcile();
  expect((await replicas.state('secd')).readOnly).toBe(true);
  expect(log.join('\n')).toMatch(/us-east-2 db\] is writable but us-east-1 is the writer .*: fencing it/);
});

test('an old primary holding writes the new one never got is rebuilt by ensureReplica itself, its data dumped', async () => {
  // Replication is cut, then pri acknowledges a write that never leaves it: an unplanned failover loses it.
  await sql('secd', 'STOP SLAVE');
  await sql('pri', `INSERT INTO ${database}.t VALUES (2, 'lost in the failover')`);
  await replicas.exclusive(async () => {
    await replicas.applyReceived('secd', 10);
    await replicas.promote('secd', 'failover', 'test');
  });
  expect(readTopology(paths.topology)).toMatchObject({ writer: 'secd', generation: 2 });
  await sql('secd', `INSERT INTO ${database}.t VALUES (3, 'written in secd')`);

  const outcome = await replicas.exclusive(() => replicas.ensureReplica('pri'));
  expect(outcome).toMatchObject({ kind: 'rebuilt', missing: [expect.stringMatching(/^0-1-\d+ \(primary has 0-1-\d+\)$/)] });
  if (outcome.kind !== 'rebuilt') return;
  expect(fs.readFileSync(outcome.backup, 'utf8')).toContain('lost in the failover');
  expect(path.dirname(outcome.backup)).toBe(paths.regionDir('pri'));

  // Replicating right away: no reconciler ran.
  expect(await replicaStatus('pri')).toMatchObject({ Master_Port: db('secd').port, Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' });
  await replicas.waitUntilReplicated('pri', 10);
  expect(await sql('pri', `SELECT id, what FROM ${database}.t ORDER BY id`)).toEqual([
    { id: 1, what: 'replicated' },
    { id: 3, what: 'written in secd' },
  ]);
  expect(await replicas.ensureReplica('pri')).toEqual({ kind: 'already-replicating' });
});

test('after a reseed, idle switchovers (and some with writes between) rejoin without a rebuild: the copy kept its history', async () => {
  // The previous test rebuilt pri from secd, the writer.
  const switchover = (from: RegionRole, to: RegionRole) =>
    replicas.exclusive(async () => {
      const position = await replicas.fence(from);
      await replicas.waitApplied(to, position, 10);
      await replicas.promote(to, 'switchover', 'test');
      return (await replicas.ensureReplica(from)).kind;
    });
  const kinds = [await switchover('secd', 'pri'), await switchover('pri', 'secd'), await switchover('secd', 'pri')];
  await sql('pri', `INSERT INTO ${database}.t VALUES (4, 'written in pri after the reseed')`);
  kinds.push(await switchover('pri', 'secd'));
  await sql('secd', `INSERT INTO ${database}.t VALUES (5, 'and in secd')`);
  kinds.push(await switchover('secd', 'pri'), await switchover('pri', 'secd'));

  expect(kinds).toEqual(['replicating', 'replicating', 'replicating', 'replicating', 'replicating', 'replicating']);
  // The one genuine divergence of the previous test, no other.
  expect(log.filter((line) => /DIVERGED/.test(line))).toHaveLength(1);
  await replicas.waitUntilReplicated('pri', 10);
  const expected = [1, 3, 4, 5];
  for (const role of REGION_ROLES) {
    expect((await sql<Array<{ id: number }>>(role, `SELECT id FROM ${database}.t ORDER BY id`)).map((r) => r.id)).toEqual(expected);
  }
  expect(fs.readdirSync(paths.regionDir('pri')).filter((f) => f.startsWith('diverged-'))).toHaveLength(1);
  expect(fs.readdirSync(paths.regionDir('secd')).filter((f) => f.startsWith('diverged-'))).toHaveLength(0);
});
