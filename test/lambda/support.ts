// Shared by the handler tests: a real MariaDB per test file, the app user the functions connect as
// (no SUPER, so read_only applies to it), event fixtures, and envelope readers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { localDbEnv } from '#lambda/shared/env';
import type { ToDo, ToDoPage } from '#lambda/shared/todos';
import { logger } from '#lambda/shared/logger';
import { startMariaDb, type MariaDbServer } from '../../util/local/mariadb';

export const APP_DB = { database: 'todos', user: 'todo_app', password: 'local-only-password' } as const;

/** Starts MariaDB, creates the app database and user, and points the functions' env at it. */
export async function startTestDatabase(): Promise<MariaDbServer> {
  // The logger was created when the handlers were imported; keep test output readable.
  logger.setLogLevel('SILENT');
  const server = await startMariaDb({ log: () => undefined });
  await server.createAppDatabase(APP_DB);
  useDatabase(server.port);
  return server;
}

/** The env the functions read at cold start (closeDb() makes them read it again). */
export function useDatabase(port: number, extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    ...localDbEnv({ port, ...APP_DB }),
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
