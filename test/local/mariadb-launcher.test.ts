// The MariaDB launcher that the handler tests, the benchmark and the local rehearsal start servers with.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureMariaDbInstalled, runningPid, startMariaDb, stopMariaDbAt, tmpDirFor, type MariaDbServer } from '../../util/local/mariadb';
import { PID_FILE } from '../../util/local/mariadb-process';
import { alive, startDecoy, stopDecoy } from './harness';

jest.setTimeout(60_000);

const quiet = { log: () => undefined };
let dataDir: string;
const started: MariaDbServer[] = [];

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-launcher-test-'));
});

afterAll(async () => {
  for (const server of started) await server.stop();
  await stopMariaDbAt(dataDir);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(tmpDirFor(dataDir), { recursive: true, force: true });
});

test('a persistent, detached server is replication-ready, found by its pid file, stopped and re-used', async () => {
  const first = await startMariaDb({ ...quiet, dataDir, serverId: 42, detached: true, readOnly: true });
  const [vars] = await first.query<Array<Record<string, unknown>>>(
    'SELECT @@server_id AS serverId, @@log_bin AS logBin, @@binlog_format AS format, @@gtid_strict_mode AS strict, ' +
      '@@log_slave_updates AS slaveUpdates, @@bind_address AS bind, @@read_only AS readOnly, @@character_set_server AS charset',
  );
  expect(vars).toEqual({
    serverId: 42,
    logBin: 1,
    format: 'ROW',
    strict: 1,
    slaveUpdates: 1,
    bind: '127.0.0.1',
    readOnly: 1,
    charset: 'utf8mb4',
  });
  // A fresh server has written nothing to its binlog: nothing for a replica to trip over.
  expect(await first.query('SELECT @@gtid_binlog_pos AS pos')).toEqual([{ pos: '' }]);
  await first.setReadOnly(false);
  await first.createAppDatabase({ database: 'keepme', user: 'keeper', password: 'pw' });
  expect(runningPid(dataDir)).toBe(first.pid);

  await expect(startMariaDb({ ...quiet, dataDir })).rejects.toThrow(/already runs on/);

  expect(await stopMariaDbAt(dataDir)).toBe(true);
  expect(alive(first.pid)).toBe(false);
  expect(runningPid(dataDir)).toBeUndefined();
  expect(await stopMariaDbAt(dataDir)).toBe(false);

  const second = await startMariaDb({ ...quiet, dataDir, serverId: 42 });
  started.push(second);
  expect(await second.query("SHOW DATABASES LIKE 'keepme'")).toHaveLength(1);
  await second.stop();
  expect(alive(second.pid)).toBe(false);
  expect(fs.existsSync(path.join(dataDir, 'mysql'))).toBe(true);
});

test('a temporary server is removed with its data dir on stop', async () => {
  const server = await startMariaDb(quiet);
  started.push(server);
  expect(fs.existsSync(server.dataDir)).toBe(true);
  await server.stop();
  await server.stop(); // idempotent
  expect(alive(server.pid)).toBe(false);
  expect(fs.existsSync(server.dataDir)).toBe(false);
});

test('a port that is taken gives a clear error', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    await expect(startMariaDb({ ...quiet, port })).rejects.toThrow(`port ${port} is in use`);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test('a stale pid file naming another process: that process is never taken for the server, nor signalled', async () => {
  // The data dir is initialized and stopped (first test); a decoy now has the pid its pid file names.
  const decoy = startDecoy(`--datadir=${dataDir}`);
  try {
    fs.writeFileSync(path.join(dataDir, PID_FILE), `${decoy.pid}\n`);
    expect(runningPid(dataDir)).toBeUndefined();
    expect(await stopMariaDbAt(dataDir)).toBe(false);
    // Not "already runs": it starts, and then its own pid file counts.
    const server = await startMariaDb({ ...quiet, dataDir, serverId: 42 });
    started.push(server);
    expect(runningPid(dataDir)).toBe(server.pid);
    await server.stop();
    expect(alive(decoy.pid)).toBe(true);
  } finally {
    await stopDecoy(decoy);
  }
});

/**
 * The bootstrap names its temporary tables after its pid: servers initializing at once in separate
 * pid namespaces (containers sharing /tmp, as on CI runners and this kind of machine) all see pid 1
 * and collided in /tmp ("Unknown table 'mysql.tmp_user_sys'"). Each instance has its own tmpdir now.
 */
test('several instances initialize at once, each in its own tmpdir, also as pid 1 of their own pid namespaces', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-launcher-many-'));
  const sharedTmp = path.join(root, 'shared-tmp');
  fs.mkdirSync(sharedTmp);
  const saved = { TMPDIR: process.env.TMPDIR, MYSQLD_BOOTSTRAP: process.env.MYSQLD_BOOTSTRAP };
  // Reproduce those machines where we can: mariadb-install-db runs $MYSQLD_BOOTSTRAP for its bootstrap.
  const unshare = process.getuid?.() === 0 && spawnSync('unshare', ['--pid', '--fork', 'true']).status === 0;
  if (unshare) {
    const wrapper = path.join(root, 'bootstrap-in-own-pid-namespace');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec unshare --pid --fork '${ensureMariaDbInstalled(() => undefined).server}' "$@"\n`, {
      mode: 0o755,
    });
    process.env.MYSQLD_BOOTSTRAP = wrapper;
  }
  process.env.TMPDIR = sharedTmp;
  const dirs = [1, 2, 3, 4].map((n) => path.join(root, `db${n}`));
  const servers: MariaDbServer[] = [];
  try {
    const results = await Promise.allSettled(dirs.map((d, i) => startMariaDb({ ...quiet, dataDir: d, serverId: i + 1 })));
    for (const r of results) if (r.status === 'fulfilled') servers.push(r.value);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok', 'ok']);
    for (const server of servers) {
      expect(await server.query('SELECT @@tmpdir AS tmp')).toEqual([{ tmp: tmpDirFor(server.dataDir) }]);
    }
    expect(fs.readdirSync(sharedTmp)).toEqual([]);
  } finally {
    process.env.TMPDIR = saved.TMPDIR;
    if (saved.MYSQLD_BOOTSTRAP === undefined) delete process.env.MYSQLD_BOOTSTRAP;
    else process.env.MYSQLD_BOOTSTRAP = saved.MYSQLD_BOOTSTRAP;
    for (const server of servers) await server.stop();
    for (const d of dirs) expect(fs.existsSync(tmpDirFor(d))).toBe(false);
    fs.rmSync(root, { recursive: true, force: true });
  }
});
