// The functions behind an RDS Proxy as AWS documents it for a global database: the read/write endpoint
// refuses while the region is not the writer, reads then go to the read-only endpoint, writes get the
// passive region's 503, and a role change flips it in a warm execution environment. The proxy is the
// rehearsal's stand-in (util/local/rds-proxy.ts) in front of a real MariaDB.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { handler as createTable } from '#lambda/handlers/create-table';
import { handler as getToDos } from '#lambda/handlers/get-todos';
import { handler as removeToDos } from '#lambda/handlers/remove-todos';
import { handler as upsertToDos } from '#lambda/handlers/upsert-todos';
import { closeDb } from '#lambda/shared/db';
import type { MariaDbServer } from '../../util/local/mariadb';
import { errPacket, NO_WRITER_MESSAGE, startRdsProxy, type RdsProxy } from '../../util/local/rds-proxy';
import { loadOrInitTopology, setWriter } from '../../util/local/topology';
import { APP_DB, apiWithBody, fixture, read, rowCount, startTestDatabase, useDatabase } from './support';

jest.setTimeout(30_000);

const READ_ONLY_MESSAGE = "this region's database is read-only (passive region); retry against the active region";
let server: MariaDbServer;
let dir: string;
let topologyFile: string;
/** The secondary region's proxy: a writer and a reader when it is the primary. */
let secd: RdsProxy;

beforeAll(async () => {
  server = await startTestDatabase();
  expect(read(await createTable(fixture('direct-create-table'))).statusCode).toBe(200);
  await closeDb();
  await server.query(`INSERT INTO ${APP_DB.database}.ToDos (id, Task, Status) VALUES (1, 'replicated', 'wip')`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-passive-'));
  topologyFile = path.join(dir, 'topology.json');
  await loadOrInitTopology(topologyFile); // pri writes
  secd = await startRdsProxy({ regionName: 'us-east-2', role: 'secd', topologyFile, readerInstances: 1, targetPort: () => server.port });
});

afterAll(async () => {
  await closeDb();
  await secd?.close();
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await closeDb();
  await setWriter(topologyFile, 'pri', 'test');
});

const behind = (proxy: RdsProxy, extra: Record<string, string> = {}) =>
  useDatabase(proxy.ports.readWrite, { DB_ROLE_RECHECK_SECONDS: '1', ...extra }, proxy.ports.readOnly);
const delta = (before: ReturnType<RdsProxy['counters']>, after: ReturnType<RdsProxy['counters']>) => ({
  readWrite: {
    accepted: after.readWrite.accepted - before.readWrite.accepted,
    refused: after.readWrite.refused - before.readWrite.refused,
  },
  readOnly: { forwarded: after.readOnly.forwarded - before.readOnly.forwarded },
});

test('passive region: reads are served through the read-only endpoint, writes get the 503 and change nothing', async () => {
  behind(secd);
  const before = secd.counters();
  expect(read(await getToDos(fixture('api-get-by-id')))).toMatchObject({ statusCode: 200, response: { id: 1, task: 'replicated' } });
  expect(read(await getToDos(fixture('api-get-list'))).response.items).toHaveLength(1);
  // One refusal from read/write decided it; both reads went through one read-only connection.
  expect(delta(before, secd.counters())).toEqual({ readWrite: { accepted: 1, refused: 1 }, readOnly: { forwarded: 1 } });

  const count = await rowCount(server);
  for (const attempt of [
    await upsertToDos(fixture('api-post-create')),
    await upsertToDos(apiWithBody('api-post-update', { id: '1', status: 'done' })),
    await removeToDos(apiWithBody('api-delete-body', { id: '1' })),
    await upsertToDos(fixture('direct-create')),
  ]) {
    expect(read(attempt)).toMatchObject({ statusCode: 503, status: 'error', response: READ_ONLY_MESSAGE });
  }
  expect(read(await upsertToDos(fixture('api-post-create'))).headers).toMatchObject({ 'retry-after': '5' });
  expect(await rowCount(server)).toBe(count);
});

test('the answer is remembered for DB_ROLE_RECHECK_SECONDS, then asked again', async () => {
  behind(secd);
  expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
  const before = secd.counters();
  for (let i = 0; i < 5; i++) expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
  expect(delta(before, secd.counters()).readWrite.accepted).toBe(0);
  await new Promise((r) => setTimeout(r, 1100));
  expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
  expect(delta(before, secd.counters()).readWrite).toEqual({ accepted: 1, refused: 1 });
});

test('the region flips from passive to writer while warm, and back', async () => {
  behind(secd);
  expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
  expect(read(await upsertToDos({ task: 'too early', status: 'wip' })).statusCode).toBe(503);

  await setWriter(topologyFile, 'secd', 'switchover');
  // Writes ask read/write every time: the first one after the promotion lands.
  const created = read(await upsertToDos({ task: 'after promotion', status: 'wip' }));
  expect(created).toMatchObject({ statusCode: 201, response: { task: 'after promotion' } });
  await new Promise((r) => setTimeout(r, 1100));
  const before = secd.counters();
  expect(read(await getToDos(fixture('api-get-by-id'))).statusCode).toBe(200);
  expect(read(await getToDos(fixture('api-get-list'))).response.items[0].task).toBe('after promotion');
  // Now reads go to read/write (the connection the write opened); read-only is not used.
  expect(delta(before, secd.counters()).readOnly.forwarded).toBe(0);

  // Demoted again: the stand-in drops the read/write sessions, as the proxy does.
  await setWriter(topologyFile, 'pri', 'switchover');
  await new Promise((r) => setTimeout(r, 400));
  expect(read(await upsertToDos({ task: 'after demotion', status: 'wip' }))).toMatchObject({
    statusCode: 503,
    response: READ_ONLY_MESSAGE,
  });
  expect(read(await getToDos(fixture('api-get-list'))).response.items[0].task).toBe('after promotion');
});

test("the primary's proxy while it writes: read-only has no reader and is never asked", async () => {
  const pri = await startRdsProxy({
    regionName: 'us-east-1',
    role: 'pri',
    topologyFile,
    readerInstances: 0,
    targetPort: () => server.port,
  });
  try {
    behind(pri);
    expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
    expect(read(await upsertToDos({ task: 'in the writer', status: 'wip' })).statusCode).toBe(201);
    expect(pri.counters().readOnly.accepted).toBe(0);
  } finally {
    await closeDb();
    await pri.close();
  }
});

test('a failback while warm: the next read is served, although the cached read-only endpoint lost its reader', async () => {
  const pri = await startRdsProxy({
    regionName: 'us-east-1',
    role: 'pri',
    topologyFile,
    readerInstances: 0,
    targetPort: () => server.port,
  });
  try {
    await setWriter(topologyFile, 'secd', 'switchover');
    useDatabase(pri.ports.readWrite, { DB_ROLE_RECHECK_SECONDS: '60' }, pri.ports.readOnly);
    expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
    expect(pri.counters().readOnly.forwarded).toBe(1);
    await setWriter(topologyFile, 'pri', 'switchover');
    await new Promise((r) => setTimeout(r, 400));
    // Within the minute the answer is trusted, and still served: read-only refuses, read/write is asked.
    expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
    expect(read(await upsertToDos({ task: 'home again', status: 'wip' })).statusCode).toBe(201);
    expect(pri.counters()).toMatchObject({ readOnly: { closedOnRoleChange: 1, refused: 1 }, readWrite: { forwarded: 1 } });
  } finally {
    await closeDb();
    await pri.close();
  }
});

/** A proxy whose read/write endpoint answers each new connection with the next scripted ERR packet. */
async function scriptedProxy(answers: Array<[number, string]>): Promise<{ port: number; close: () => Promise<void> }> {
  let next = 0;
  const srv = net.createServer((socket) => {
    const [errno, message] = answers[Math.min(next++, answers.length - 1)];
    socket.on('error', () => undefined);
    socket.end(errPacket(errno, message));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise((resolve) => srv.close(() => resolve())) };
}

test('the refusal is recognized by its message whatever the errno; borrow timeouts are the 503 where the region is passive', async () => {
  const rw = await scriptedProxy([
    [9999, NO_WRITER_MESSAGE],
    [9501, 'Timed-out waiting to acquire database connection'],
  ]);
  try {
    useDatabase(rw.port, { DB_ROLE_RECHECK_SECONDS: '0' }, secd.ports.readOnly);
    expect(read(await upsertToDos({ task: 'x', status: 'y' }))).toMatchObject({ statusCode: 503, response: READ_ONLY_MESSAGE });
    // Known passive: the next refusal comes as a borrow timeout, and is the same 503.
    expect(read(await upsertToDos({ task: 'x', status: 'y' }))).toMatchObject({ statusCode: 503, response: READ_ONLY_MESSAGE });
    // A read falls back to read-only when read/write does not answer.
    expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
  } finally {
    await rw.close();
  }
});

test('a borrow timeout where the region was never seen passive is an outage: 503 unavailable, never 500', async () => {
  const rw = await scriptedProxy([[9501, 'Timed-out waiting to acquire database connection']]);
  try {
    useDatabase(rw.port, {}, rw.port);
    expect(read(await upsertToDos({ task: 'x', status: 'y' }))).toMatchObject({
      statusCode: 503,
      response: 'the database is unavailable; retry shortly',
    });
    expect(read(await getToDos(fixture('api-get-list')))).toMatchObject({ statusCode: 503 });
  } finally {
    await rw.close();
  }
});
