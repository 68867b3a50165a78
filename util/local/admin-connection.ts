// Administrative connections to one local database over TCP, the rehearsal's stand-in for the RDS
// API: open one, run a step, always close it. The one place that knows how the admin user logs in.
import * as mysql from 'mysql2/promise';
import type { LocalSecrets } from './secrets';

/** What a step needs from a connection: mysql2 connections fit, and so does the launcher's root query. */
export interface Sql {
  query(sql: string, values?: unknown): Promise<[unknown, unknown]>;
}

/** A database to connect to, named for error messages ("us-east-2 database"). */
export interface AdminTarget {
  readonly name: string;
  readonly port: number;
}

export function connectAdmin(port: number, secrets: LocalSecrets, timeoutMs = 2000): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: secrets.adminUser,
    password: secrets.adminPassword,
    connectTimeout: timeoutMs,
    supportBigNumbers: true,
  });
}

/** Runs fn on a fresh admin connection; a database that cannot be reached is named in the error. */
export async function withAdmin<T>(target: AdminTarget, secrets: LocalSecrets, fn: (sql: Sql) => Promise<T>): Promise<T> {
  let connection: mysql.Connection;
  try {
    connection = await connectAdmin(target.port, secrets);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`cannot reach the ${target.name} on 127.0.0.1:${target.port} (${why})`, { cause: error });
  }
  try {
    return await fn(connection);
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/** The rows of a SELECT or SHOW. */
export async function rows<T>(sql: Sql, text: string, params?: unknown[]): Promise<T[]> {
  const [result] = await sql.query(text, params);
  return result as T[];
}
