// The RDS Proxy stand-in on its own: which endpoint refuses when, with what the driver sees, counters,
// connections closed on a role change, an unreachable database, and a clean close.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import type { RegionRole } from '#names';
import { startMariaDb, type MariaDbServer } from '../../util/local/mariadb';
import { freePort } from '../../util/local/ports';
import { BORROW_TIMEOUT_MESSAGE, NO_READER_MESSAGE, NO_WRITER_MESSAGE, startRdsProxy, type RdsProxy } from '../../util/local/rds-proxy';
import { loadOrInitTopology, setWriter } from '../../util/local/topology';

jest.setTimeout(30_000);

const USER = { user: 'proxy_test', password: 'proxy-test-pw' };
let server: MariaDbServer;
let dir: string;
let topologyFile: string;
const proxies: Partial<Record<RegionRole, RdsProxy>> = {};

beforeAll(async () => {
  server = await startMariaDb({ log: () => undefined });
  await server.query('CREATE USER ?@? IDENTIFIED BY ?', [USER.user, '127.0.0.1', USER.password]);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-proxy-'));
  topologyFile = path.join(dir, 'topology.json');
  await loadOrInitTopology(topologyFile);
  // The deployed shape: the primary has a writer only, the secondary a writer and a reader.
  for (const [role, readerInstances] of [
    ['pri', 0],
    ['secd', 1],
  ] as const) {
    proxies[role] = await startRdsProxy({ regionName: role, role, topologyFile, readerInstances, targetPort: () => server.port });
  }
});

afterAll(async () => {
  await Promise.all(Object.values(proxies).map((p) => p.close()));
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const connect = (port: number) => mysql.createConnection({ host: '127.0.0.1', port, ...USER, connectTimeout: 2000 });

async function answer(port: number): Promise<'ok' | { errno?: number; message: string }> {
  try {
    const connection = await connect(port);
    await connection.query('SELECT 1');
    await connection.end();
    return 'ok';
  } catch (error) {
    const e = error as { errno?: number; message: string };
    return { errno: e.errno, message: e.message };
  }
}

test('while pri writes: its read/write endpoint forwards, its read-only one has no reader; secd reads only', async () => {
  const before = proxies.pri!.counters();
  expect(await answer(proxies.pri!.ports.readWrite)).toBe('ok');
  expect(await answer(proxies.pri!.ports.readOnly)).toEqual({ errno: 1105, message: NO_READER_MESSAGE });
  expect(await answer(proxies.secd!.ports.readWrite)).toEqual({ errno: 1105, message: NO_WRITER_MESSAGE });
  expect(await answer(proxies.secd!.ports.readOnly)).toBe('ok');
  const after = proxies.pri!.counters();
  expect(after.readWrite.forwarded - before.readWrite.forwarded).toBe(1);
  expect(after.readOnly.refused - before.readOnly.refused).toBe(1);
  expect(after.readOnly.forwarded - before.readOnly.forwarded).toBe(0);
});

test('a switchover: the old writer drops its read/write sessions and refuses new ones; both flip', async () => {
  const held = await connect(proxies.pri!.ports.readWrite);
  await held.query('SELECT 1');
  const closedBefore = proxies.pri!.counters().readWrite.closedOnRoleChange;
  await setWriter(topologyFile, 'secd', 'switchover');
  try {
    const lost = await new Promise<unknown>((resolve) => held.once('error', resolve));
    expect((lost as { code?: string }).code).toBe('PROTOCOL_CONNECTION_LOST');
    expect(proxies.pri!.counters().readWrite.closedOnRoleChange - closedBefore).toBe(1);
    expect(await answer(proxies.pri!.ports.readWrite)).toEqual({ errno: 1105, message: NO_WRITER_MESSAGE });
    expect(await answer(proxies.pri!.ports.readOnly)).toBe('ok');
    expect(await answer(proxies.secd!.ports.readWrite)).toBe('ok');
    // secd as the writer still has its reader instance.
    expect(await answer(proxies.secd!.ports.readOnly)).toBe('ok');
  } finally {
    held.destroy();
    await setWriter(topologyFile, 'pri', 'switchover');
  }
});

test('a database that does not take the connection: ERR 9501, as the proxy after its borrow timeout', async () => {
  const dead = await freePort();
  const proxy = await startRdsProxy({ regionName: 'x', role: 'pri', topologyFile, readerInstances: 0, targetPort: () => dead });
  try {
    expect(await answer(proxy.ports.readWrite)).toEqual({ errno: 9501, message: BORROW_TIMEOUT_MESSAGE });
    expect(proxy.counters().readWrite).toMatchObject({ accepted: 1, unreachable: 1, forwarded: 0 });
  } finally {
    await proxy.close();
  }
  // Closed: nothing listens any more.
  const refused = await answer(proxy.ports.readWrite);
  expect(refused).not.toBe('ok');
});
