// CreateTableFunction as the only user of the master credentials: it creates the table and a
// least-privilege application user, waits for a proxy that is not ready yet, skips a region that is not
// the writer, reads the password from Secrets Manager on AWS, and never logs the password.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import * as mysql from 'mysql2/promise';
import { handler as createTable } from '#lambda/handlers/create-table';
import { handler as getToDos } from '#lambda/handlers/get-todos';
import { handler as upsertToDos } from '#lambda/handlers/upsert-todos';
import { closeDb } from '#lambda/shared/db';
import { nativePasswordHash } from '#lambda/shared/table-step';
import type { MariaDbServer } from '../../util/local/mariadb';
import { freePort } from '../../util/local/ports';
import { startRdsProxy } from '../../util/local/rds-proxy';
import { loadOrInitTopology } from '../../util/local/topology';
import { APP_DB, captureLogs, fixture, read, startTestDatabase, useDatabase } from './support';

jest.setTimeout(30_000);

let server: MariaDbServer;
let dir: string;
let topologyFile: string;

beforeAll(async () => {
  server = await startTestDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-table-'));
  topologyFile = path.join(dir, 'topology.json');
  await loadOrInitTopology(topologyFile); // pri writes
});

afterAll(async () => {
  await closeDb();
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await closeDb();
  useDatabase(server.port);
});

const grantsOf = async (user: string) =>
  (await server.query<Array<Record<string, string>>>('SHOW GRANTS FOR ?@?', [user, '%'])).map((row) => Object.values(row)[0]);
const tableExists = async () =>
  (
    await server.query<unknown[]>('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [
      APP_DB.database,
      'ToDos',
    ])
  ).length > 0;

test('in a region that is not the writer it writes nothing and says so: table and user come by replication', async () => {
  const secd = await startRdsProxy({
    regionName: 'us-east-2',
    role: 'secd',
    topologyFile,
    readerInstances: 1,
    targetPort: () => server.port,
  });
  try {
    useDatabase(secd.ports.readWrite, {}, secd.ports.readOnly);
    const r = read(await createTable(fixture('direct-create-table')));
    expect(r).toMatchObject({ statusCode: 200, response: { table: 'ToDos', created: false } });
    expect(r.response).toHaveProperty('skipped', expect.stringContaining('this region is not the writer'));
    expect(await tableExists()).toBe(false);
    expect(await server.query('SELECT User FROM mysql.user WHERE User = ?', [APP_DB.user])).toEqual([]);
  } finally {
    await secd.close();
  }
});

test('a read-only database reached directly (no proxy to refuse) is not written either, master user or not', async () => {
  await server.setReadOnly(true);
  try {
    const r = read(await createTable(fixture('direct-create-table')));
    expect(r.response).toHaveProperty('skipped', expect.stringContaining('read-only'));
    expect(await tableExists()).toBe(false);
  } finally {
    await server.setReadOnly(false);
  }
});

test('it waits for a proxy whose target is still registering (9501), then creates the table and the user', async () => {
  let ready = false;
  const pri = await startRdsProxy({
    regionName: 'us-east-1',
    role: 'pri',
    topologyFile,
    readerInstances: 0,
    targetPort: () => (ready ? server.port : undefined),
  });
  const timer = setTimeout(() => (ready = true), 1500);
  try {
    useDatabase(pri.ports.readWrite, { DB_SETUP_WAIT_SECONDS: '20' });
    const lines = await captureLogs(
      async () => {
        const r = read(await createTable(fixture('direct-create-table')));
        expect(r).toMatchObject({
          statusCode: 200,
          response: { table: 'ToDos', created: true, appUser: 'todo_app', appUserCreated: true },
        });
      },
      { level: 'WARN' },
    );
    expect(lines.filter((l) => l.message === 'the database is not ready for the table step yet; waiting').length).toBeGreaterThan(0);
    expect(pri.counters().readWrite.unreachable).toBeGreaterThan(0);
  } finally {
    clearTimeout(timer);
    await pri.close();
    await closeDb();
    useDatabase(server.port);
  }
  // Least privilege: DML on the ToDos table, nothing else; the functions work as that user.
  expect((await grantsOf(APP_DB.user)).filter((g) => !g.startsWith('GRANT USAGE ON *.*'))).toEqual([
    'GRANT SELECT, INSERT, UPDATE, DELETE ON `todos`.`ToDos` TO `todo_app`@`%`',
  ]);
  expect(read(await upsertToDos({ task: 'as todo_app', status: 'wip' })).statusCode).toBe(201);
  const app = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: APP_DB.user, password: APP_DB.password });
  try {
    await expect(app.query('CREATE TABLE todos.Other (id INT)')).rejects.toMatchObject({ errno: 1142 });
  } finally {
    await app.end();
  }
});

test('a bounded wait ends with an error naming what it waited for', async () => {
  const port = await freePort();
  useDatabase(port, { DB_SETUP_WAIT_SECONDS: '2' });
  const started = Date.now();
  const r = read(await createTable(fixture('direct-create-table')));
  expect(Date.now() - started).toBeLessThan(6000);
  expect(r.statusCode).toBe(503);
  expect(r.response).toContain(`waiting for the read/write endpoint 127.0.0.1:${port} to take the table step's connection as test_admin`);
  expect(r.response).toContain('last error: ECONNREFUSED');
});

test('an application user with more privileges is brought back to DML on the table; the password follows the setting', async () => {
  await server.query('GRANT ALL PRIVILEGES ON *.* TO ?@?', [APP_DB.user, '%']);
  useDatabase(server.port, { DB_APP_PASSWORD: 'a-rotated-password' });
  expect(read(await createTable(fixture('direct-create-table')))).toMatchObject({ statusCode: 200, response: { appUserCreated: false } });
  expect((await grantsOf(APP_DB.user)).filter((g) => !g.startsWith('GRANT USAGE ON *.*'))).toEqual([
    'GRANT SELECT, INSERT, UPDATE, DELETE ON `todos`.`ToDos` TO `todo_app`@`%`',
  ]);
  const rotated = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: APP_DB.user, password: 'a-rotated-password' });
  await rotated.end();
  useDatabase(server.port);
  expect(read(await createTable(fixture('direct-create-table'))).statusCode).toBe(200);
});

test("on AWS the password comes from the application user's secret", async () => {
  const secrets = mockClient(SecretsManagerClient);
  try {
    const SecretId = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:ToDoMgmt/db-app-credentials';
    secrets
      .on(GetSecretValueCommand, { SecretId })
      .resolves({ SecretString: JSON.stringify({ username: 'todo_app', password: 'from-the-secret' }) });
    useDatabase(server.port, { DB_APP_PASSWORD: '', DB_APP_SECRET_ARN: SecretId, AWS_REGION: 'us-east-1' });
    expect(read(await createTable(fixture('direct-create-table'))).statusCode).toBe(200);
    const app = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: APP_DB.user, password: 'from-the-secret' });
    await app.end();

    secrets.on(GetSecretValueCommand, { SecretId }).resolves({ SecretString: JSON.stringify({ username: 'someone', password: 'x' }) });
    const lines = await captureLogs(async () => {
      expect(read(await createTable(fixture('direct-create-table'))).statusCode).toBe(500);
    });
    expect(JSON.stringify(lines)).toContain('is for user \\"someone\\", not DB_APP_USER todo_app');
  } finally {
    secrets.restore();
    useDatabase(server.port);
    await closeDb();
    expect(read(await createTable(fixture('direct-create-table'))).statusCode).toBe(200);
  }
});

test('a failing user statement is reported without the password, in the answer and in the log', async () => {
  // A master user that may create tables but not users.
  await server.query("CREATE USER IF NOT EXISTS 'weak_admin'@'127.0.0.1' IDENTIFIED BY 'weak-pw'");
  await server.query("GRANT ALL PRIVILEGES ON todos.* TO 'weak_admin'@'127.0.0.1'");
  await server.query("DROP USER IF EXISTS 'todo_app'@'%'");
  const password = 'p4ss-that-must-never-be-logged';
  useDatabase(server.port, { DB_ADMIN_USER: 'weak_admin', DB_ADMIN_PASSWORD: 'weak-pw', DB_APP_PASSWORD: password });
  const lines = await captureLogs(
    async () => {
      const r = read(await createTable(fixture('direct-create-table')));
      expect(r.statusCode).toBe(500);
      expect(JSON.stringify(r)).not.toContain(password);
    },
    { level: 'DEBUG' },
  );
  const text = JSON.stringify(lines);
  expect(text).toContain('CREATE USER for the application user todo_app failed');
  expect(text).not.toContain(password);
  // Restore the user for whoever runs next.
  useDatabase(server.port);
  await closeDb();
  expect(read(await createTable(fixture('direct-create-table'))).statusCode).toBe(200);
  expect(read(await getToDos(fixture('api-get-list'))).statusCode).toBe(200);
});

test('the password reaches the server only as its hash: the statement text (what Advanced Auditing logs) never holds it', async () => {
  const password = 'plain-text-that-must-stay-out-of-audit-logs';
  expect(nativePasswordHash(password)).toBe((await server.query<Array<{ h: string }>>('SELECT PASSWORD(?) AS h', [password]))[0].h);
  // MariaDB's general log, as a table, stands in for the audit log: every statement text the server got.
  await server.query("SET GLOBAL log_output = 'TABLE', general_log = 1");
  try {
    useDatabase(server.port, { DB_APP_PASSWORD: password });
    expect(read(await createTable(fixture('direct-create-table'))).statusCode).toBe(200);
    // Off before the checks: the LIKE below holds the password and would be logged itself.
    await server.query('SET GLOBAL general_log = 0');
    const logged = await server.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM mysql.general_log WHERE argument LIKE ?', [
      `%${password}%`,
    ]);
    const userStatements = await server.query<Array<{ n: number }>>(
      "SELECT COUNT(*) AS n FROM mysql.general_log WHERE argument LIKE 'ALTER USER%' OR argument LIKE 'CREATE USER%'",
    );
    expect(userStatements[0].n).toBeGreaterThan(0);
    expect(logged[0].n).toBe(0);
    const app = await mysql.createConnection({ host: '127.0.0.1', port: server.port, user: APP_DB.user, password });
    await app.end();
  } finally {
    await server.query('SET GLOBAL general_log = 0');
    await server.query('TRUNCATE mysql.general_log');
    useDatabase(server.port);
    await closeDb();
    expect(read(await createTable(fixture('direct-create-table'))).statusCode).toBe(200);
  }
});
