// What a regional outage or a failover looks like to the functions: a read-only (passive) database, a
// database that is down or hangs, dropped connections, missing setup, and unexpected SQL errors.
import * as net from 'node:net';
import type { MariaDbServer } from '../../util/local/mariadb';
import { freePort } from '../../util/local/ports';
import { handler as createTable } from '#lambda/handlers/create-table';
import { handler as getToDos } from '#lambda/handlers/get-todos';
import { handler as removeToDos } from '#lambda/handlers/remove-todos';
import { handler as upsertToDos } from '#lambda/handlers/upsert-todos';
import * as mysql from 'mysql2/promise';
import { closeDb } from '#lambda/shared/db';
import { ConflictError, translateDbError } from '#lambda/shared/errors';
import {
  APP_DB,
  apiWithBody,
  apiWithQuery,
  appConnections,
  captureLogs,
  connectionsAccepted,
  fixture,
  read,
  rowCount,
  startTestDatabase,
  useDatabase,
} from './support';

jest.setTimeout(30_000);

const READ_ONLY_MESSAGE = "this region's database is read-only (passive region); retry against the active region";

let server: MariaDbServer;

beforeAll(async () => {
  server = await startTestDatabase();
});

afterAll(async () => {
  await closeDb();
  await server?.stop();
});

afterEach(async () => {
  // Each test may point the functions elsewhere; the next one starts from the real server again.
  await closeDb();
  useDatabase(server.port);
});

test('before CREATE_TABLE, requests get a 503 that says how to create the table', async () => {
  const r = read(await getToDos(fixture('api-get-list')));
  expect(r).toMatchObject({ statusCode: 503, status: 'error' });
  expect(r.response).toContain('invoke the CreateTableFunction with {"action":"CREATE_TABLE"}');
  expect(read(await createTable(fixture('direct-create-table'))).response).toEqual({
    table: 'ToDos',
    created: true,
    appUser: 'todo_app',
    appUserCreated: true,
  });
});

describe('read-only database (the passive region)', () => {
  beforeAll(async () => {
    await server.query(`INSERT INTO ${APP_DB.database}.ToDos (id, Task, Status) VALUES (1, 'existing', 'wip')`);
    await server.setReadOnly(true);
  });
  afterAll(() => server.setReadOnly(false));

  test('every write is a 503 with a clear message, and nothing is written', async () => {
    const before = await server.query(`SELECT id, Task, Status, CreatedTime FROM ${APP_DB.database}.ToDos ORDER BY id`);
    const attempts = [
      await upsertToDos(fixture('api-post-create')),
      await upsertToDos(apiWithBody('api-post-update', { id: '1', task: 'changed', status: 'done' })),
      await removeToDos(apiWithBody('api-delete-body', { id: '1' })),
      await upsertToDos(fixture('direct-create')),
      await upsertToDos({ id: 1, status: 'done' }),
      await removeToDos(fixture('direct-remove')),
    ];
    for (const attempt of attempts) {
      expect(read(attempt)).toMatchObject({ statusCode: 503, status: 'error', response: READ_ONLY_MESSAGE });
    }
    expect(read(attempts[0]).headers).toMatchObject({ 'retry-after': '5' });
    const after = await server.query(`SELECT id, Task, Status, CreatedTime FROM ${APP_DB.database}.ToDos ORDER BY id`);
    expect(after).toEqual(before);
  });

  test('reads are still served', async () => {
    const r = read(await getToDos(fixture('api-get-by-id')));
    expect(r).toMatchObject({ statusCode: 200, response: { id: 1, task: 'existing' } });
    expect(read(await getToDos(fixture('api-get-list'))).response.items).toHaveLength(1);
  });
});

describe('database down', () => {
  test('nothing listening: a 503 in well under 3 s', async () => {
    useDatabase(await freePort());
    const started = Date.now();
    const r = read(await getToDos(fixture('api-get-by-id')));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r).toMatchObject({ statusCode: 503, status: 'error', response: 'the database is unavailable; retry shortly' });
    expect(read(await upsertToDos(fixture('direct-create')))).toMatchObject({ statusCode: 503 });
  });

  test('accepting TCP but never answering (a hung proxy): a 503 after the connect timeout', async () => {
    const sockets = new Set<net.Socket>();
    const blackhole = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    try {
      useDatabase((blackhole.address() as net.AddressInfo).port, { DB_CONNECT_TIMEOUT_MS: '500' });
      const started = Date.now();
      const r = read(await getToDos(fixture('direct-get')));
      const elapsed = Date.now() - started;
      expect(r).toMatchObject({ statusCode: 503, response: 'the database is unavailable; retry shortly' });
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(3000);
    } finally {
      await closeDb();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackhole.close(resolve));
    }
  });

  test('a statement that hangs (locked table) is cut after DB_QUERY_TIMEOUT_MS with a 503; the next request works', async () => {
    useDatabase(server.port, { DB_QUERY_TIMEOUT_MS: '500' });
    expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
    const locker = await mysql.createConnection({ socketPath: server.socket, user: 'root' });
    try {
      await locker.query(`LOCK TABLES ${APP_DB.database}.ToDos WRITE`);
      const started = Date.now();
      const r = read(await getToDos(fixture('api-get-list')));
      const elapsed = Date.now() - started;
      expect(r).toMatchObject({ statusCode: 503, response: 'the database did not answer in time; retry shortly' });
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(3000);
    } finally {
      await locker.query('UNLOCK TABLES');
      await locker.end();
    }
    // The timed-out connection was discarded, not handed to this request.
    expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
    expect(await appConnections(server)).toBe(1);
  });

  test('a bad DB_AUTH is a 500 that leaks nothing; the log names the variable', async () => {
    useDatabase(server.port, { DB_AUTH: 'kerberos' });
    const lines = await captureLogs(async () => {
      const r = read(await getToDos(fixture('direct-get'), { awsRequestId: 'req-env-1' }));
      expect(r).toEqual({ statusCode: 500, status: 'error', response: 'internal error (request id req-env-1)' });
    });
    const entry = lines.find((l) => l.level === 'ERROR');
    expect(entry).toMatchObject({ function_request_id: 'req-env-1', function: 'GetToDos' });
    expect(JSON.stringify(entry)).toContain("environment variable DB_AUTH must be 'iam' or 'password'");
  });
});

describe('connections', () => {
  test('50 requests reuse one module-scope connection', async () => {
    await closeDb();
    expect(await appConnections(server)).toBe(0);
    const accepted = await connectionsAccepted(server);
    for (let i = 0; i < 10; i++) {
      const created = read(await upsertToDos({ task: `reuse ${i}`, status: 'wip' }));
      expect(created.statusCode).toBe(201);
      const id = String(created.response.id);
      expect(read(await getToDos(apiWithQuery('api-get-by-id', { id }))).statusCode).toBe(200);
      expect(read(await upsertToDos({ id, status: 'done' })).statusCode).toBe(200);
      expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
      expect(read(await removeToDos({ id })).statusCode).toBe(200);
    }
    // The root connection used for these checks is not counted: it was open before.
    expect((await connectionsAccepted(server)) - accepted).toBe(1);
    expect(await appConnections(server)).toBe(1);
  });

  test('a connection killed by the server (failover, proxy restart) is replaced transparently', async () => {
    expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
    const count = await rowCount(server);
    const killAppConnections = async () => {
      const ids = await server.query<Array<{ ID: number }>>('SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ?', [APP_DB.user]);
      expect(ids.length).toBeGreaterThan(0);
      for (const { ID } of ids) await server.query(`KILL CONNECTION ${Number(ID)}`);
    };

    await killAppConnections();
    expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);

    await killAppConnections();
    const created = read(await upsertToDos({ task: 'after kill', status: 'wip' }));
    // A write on a connection that died may be refused (503) but must never be applied twice.
    expect([201, 503]).toContain(created.statusCode);
    expect(await rowCount(server)).toBe(count + (created.statusCode === 201 ? 1 : 0));
    expect(read(await upsertToDos({ task: 'next', status: 'wip' })).statusCode).toBe(201);
  });

  test('a connection the server closed while idle is replaced without a cold start', async () => {
    expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
    await server.query('SET GLOBAL wait_timeout = 1');
    try {
      // The server drops the idle connection after 1 s, the way a proxy or a failover does.
      await new Promise((r) => setTimeout(r, 2000));
      expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
      expect(read(await upsertToDos({ task: 'after idle drop', status: 'wip' })).statusCode).toBe(201);
    } finally {
      await server.query('SET GLOBAL wait_timeout = 28800');
    }
  });
});

test('an unexpected SQL error is a 500 with a request id, without SQL or server details', async () => {
  await server.query(`ALTER TABLE ${APP_DB.database}.ToDos CHANGE Task Renamed VARCHAR(50) NOT NULL`);
  try {
    const lines = await captureLogs(async () => {
      const r = read(await getToDos(fixture('api-get-list')));
      expect(r.statusCode).toBe(500);
      expect(r.response).toBe('internal error (request id c0ffee00-0000-4000-8000-000000000001)');
      expect(r.headers!['x-request-id']).toBe('c0ffee00-0000-4000-8000-000000000001');
    });
    // The operator gets the details in the log line that carries the same request id.
    const entry = lines.find((l) => l.level === 'ERROR');
    expect(entry).toMatchObject({ function_request_id: 'c0ffee00-0000-4000-8000-000000000001', statusCode: 500 });
    expect(JSON.stringify(entry)).toContain('Unknown column');
  } finally {
    await server.query(`ALTER TABLE ${APP_DB.database}.ToDos CHANGE Renamed Task VARCHAR(50) NOT NULL`);
  }
});

test('a server with sql_mode NO_BACKSLASH_ESCAPES is refused (500, logged) before anything is written', async () => {
  await closeDb();
  const count = await rowCount(server);
  await server.query("SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')");
  try {
    const lines = await captureLogs(async () => {
      const r = read(await upsertToDos({ task: "it\\'s; DELETE FROM ToDos; --", status: 'wip' }, { awsRequestId: 'req-mode' }));
      expect(r).toEqual({ statusCode: 500, status: 'error', response: 'internal error (request id req-mode)' });
    });
    expect(JSON.stringify(lines)).toContain('NO_BACKSLASH_ESCAPES');
    expect(await rowCount(server)).toBe(count);
  } finally {
    await server.query("SET GLOBAL sql_mode = REPLACE(@@GLOBAL.sql_mode, 'NO_BACKSLASH_ESCAPES', '')");
    await closeDb();
  }
  expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
});

test('a duplicate key from the server maps to 409', async () => {
  const app = await mysql.createConnection({
    host: '127.0.0.1',
    port: server.port,
    user: APP_DB.user,
    password: APP_DB.password,
    database: APP_DB.database,
  });
  try {
    await app.query("INSERT INTO ToDos (id, Task, Status) VALUES (777, 'a', 'b')");
    const error = await app.query("INSERT INTO ToDos (id, Task, Status) VALUES (777, 'a', 'b')").catch((e: unknown) => e);
    const translated = translateDbError(error);
    expect(translated).toBeInstanceOf(ConflictError);
    expect((translated as ConflictError).statusCode).toBe(409);
  } finally {
    await app.end();
  }
});
