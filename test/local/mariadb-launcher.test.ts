// The MariaDB launcher that the handler tests, the benchmark and the local rehearsal start servers with.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runningPid, startMariaDb, stopMariaDbAt, type MariaDbServer } from '../../util/local/mariadb';

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
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

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
