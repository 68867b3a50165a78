// Shared by the handler tests: a real MariaDB per test file with a master-like admin user (what Aurora's
// master user is on AWS), the env that makes the functions log in as the application user (created by
// CREATE_TABLE, as on AWS: DML only, no SUPER, so read_only applies to it), event fixtures, and envelope
// readers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { localDbEnv, localTableStepEnv } from '#lambda/shared/env';
import type { ToDo, ToDoPage } from '#lambda/shared/todos';
import { logger } from '#lambda/shared/logger';
import { startMariaDb, type MariaDbServer } from '../../util/local/mariadb';

export const APP_DB = { database: 'todos', user: 'todo_app', password: 'local-only-password' } as const;
/** Stands in for Aurora's master user: all privileges, the only user that exists before CREATE_TABLE. */
export const ADMIN_DB = { user: 'test_admin', password: 'local-only-admin-password' } as const;

/**
 * Starts MariaDB with the app database and the admin user, and points the functions' env at it. The
 * application user does not exist until CREATE_TABLE (run it, or use startReadyDatabase).
 */
export async function startTestDatabase(): Promise<MariaDbServer> {
  // The logger was created when the handlers were imported; keep test output readable.
  logger.setLogLevel('SILENT');
  const server = await startMariaDb({ log: () => undefined });
  await createAdmin(server);
  useDatabase(server.port);
  return server;
}

/** The database as Aurora creates it (DB_NAME) and its master user, over TCP. */
export async function createAdmin(server: MariaDbServer): Promise<void> {
  await server.query('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [APP_DB.database]);
  await server.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [ADMIN_DB.user, '127.0.0.1', ADMIN_DB.password]);
  await server.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [ADMIN_DB.user, '127.0.0.1']);
}

/**
 * The env the functions read at cold start (closeDb() makes them read it again). `readPort`: the
 * read-only endpoint when it differs (the proxy stand-in's second port).
 */
export function useDatabase(port: number, extra: Record<string, string> = {}, readPort?: number): void {
  // What an earlier call set (a secret ARN, a timeout) must not leak into this one.
  for (const key of Object.keys(process.env)) if (key.startsWith('DB_')) delete process.env[key];
  Object.assign(process.env, {
    ...localDbEnv({ port, readPort, ...APP_DB }),
    ...localTableStepEnv({ adminUser: ADMIN_DB.user, adminPassword: ADMIN_DB.password, appPassword: APP_DB.password, waitSeconds: 0 }),
    DB_CONNECT_TIMEOUT_MS: '1000',
    LOG_LEVEL: 'SILENT',
    ...extra,
  });
}

export function fixture<T = APIGatewayProxyEvent>(name: string, overrides: Partial<APIGatewayProxyEvent> = {}): T {
  const event = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', `${name}.json`), 'utf8'));
  return { ...event, ...overrides } as T;
}

/** An API event from a fixture with another JSON body (or raw text when given a string). */
export function apiWithBody(name: string, body: unknown): APIGatewayProxyEvent {
  return fixture(name, { body: typeof body === 'string' ? body : JSON.stringify(body), isBase64Encoded: false });
}

export function apiWithQuery(name: string, query: Record<string, string> | null): APIGatewayProxyEvent {
  const multi = query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null;
  return fixture(name, { queryStringParameters: query, multiValueQueryStringParameters: multi });
}

/**
 * What the functions answer with, every shape at once: a ToDo, a page, a CREATE_TABLE or delete result,
 * or (status 'error') a message, which the matchers take as well. A test reads the fields of its call.
 */
export type AnyResponse = ToDo & ToDoPage & { table: string; created: boolean; deleted: boolean };

export interface ReadEnvelope {
  statusCode: number;
  status: 'ok' | 'error';
  response: AnyResponse;
  headers?: Record<string, string | number | boolean>;
}

/** Reads either result shape into one: API results carry the envelope as a JSON body. */
export function read(result: unknown): ReadEnvelope {
  const r = result as APIGatewayProxyResult & { status?: 'ok' | 'error'; response?: unknown };
  if (typeof r.body === 'string') {
    const envelope = JSON.parse(r.body);
    expect(Object.keys(envelope).sort()).toEqual(['response', 'status']);
    return { statusCode: r.statusCode, status: envelope.status, response: envelope.response, headers: r.headers };
  }
  expect(Object.keys(r).sort()).toEqual(['response', 'status', 'statusCode']);
  return { statusCode: r.statusCode, status: r.status!, response: r.response as AnyResponse };
}

export async function rowCount(server: MariaDbServer): Promise<number> {
  const rows = await server.query<{ n: number }[]>(`SELECT COUNT(*) AS n FROM ${APP_DB.database}.ToDos`);
  return Number(rows[0].n);
}

/** Connections the app user holds on the server right now. */
export async function appConnections(server: MariaDbServer): Promise<number> {
  const rows = await server.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?', [
    APP_DB.user,
  ]);
  return Number(rows[0].n);
}

/** Total connections ever accepted by the server (the Connections status counter). */
export async function connectionsAccepted(server: MariaDbServer): Promise<number> {
  const rows = await server.query<{ Value: string }[]>("SHOW GLOBAL STATUS LIKE 'Connections'");
  return Number(rows[0].Value);
}

/**
 * Runs fn with the functions' logger at `level` (ERROR unless told) and returns the JSON lines it printed.
 * A test that loads the modules afresh passes its own logger instance.
 */
export async function captureLogs(
  fn: () => Promise<void>,
  { level = 'ERROR', log = logger }: { level?: LogLevel; log?: Logger } = {},
): Promise<Array<Record<string, unknown>>> {
  const printed: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  log.setLogLevel(level);
  try {
    await fn();
  } finally {
    log.setLogLevel('SILENT');
    for (const spy of spies) spy.mockRestore();
  }
  return printed
    .flatMap((p) => p.split('\n'))
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));
}
