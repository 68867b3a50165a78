// The one module that talks to the database. A small pool lives at module scope: created on the first
// query of an execution environment (cold start) and reused by every later invocation, so a warm
// request costs one round trip instead of connect + auth + query + close.
//
// Statements use placeholders and the text protocol: the driver escapes each value into the statement.
// Server-side prepared statements would pin every client session to one database connection in the
// RDS Proxy, which is the multiplexing the proxy is there for. The driver's escaping relies on
// backslashes, so a connection whose sql_mode has NO_BACKSLASH_ESCAPES is refused before it runs
// anything (see guardSqlMode).
import * as mysql from 'mysql2/promise';
import { readDbSettings, type DbSettings } from './env';
import { isConnectionError, provesNothingWasSent, translateDbError } from './errors';
import { IamTokenCache, rdsSigner } from './iam-token';
import { logger } from './logger';

export type SqlParam = string | number | null;

export interface QueryOptions {
  /**
   * Safe to run twice. A statement that fails because the connection dropped mid-flight is retried once
   * on a new connection only when it is idempotent, or when the driver proves nothing was sent.
   */
  readonly idempotent: boolean;
}

interface DbState {
  readonly settings: DbSettings;
  readonly pool: mysql.Pool;
  readonly tokens?: IamTokenCache;
  /** Set when a connection reported NO_BACKSLASH_ESCAPES: every query then fails (500, logged). */
  unsafeSqlMode: boolean;
}

export class UnsafeSqlModeError extends Error {
  constructor() {
    super(
      'the database session uses sql_mode NO_BACKSLASH_ESCAPES, which the driver cannot escape values for; ' +
        'remove it from the parameter group',
    );
    this.name = 'UnsafeSqlModeError';
  }
}

let state: DbState | undefined;

function open(): DbState {
  const settings = readDbSettings();
  const tokens =
    settings.auth === 'iam'
      ? new IamTokenCache(rdsSigner({ host: settings.host, port: settings.port, user: settings.user, region: settings.region! }))
      : undefined;
  const pool = mysql.createPool(poolOptions(settings, tokens));
  const opened: DbState = { settings, pool, tokens, unsafeSqlMode: false };
  guardSqlMode(opened);
  logger.debug('database pool created', { host: settings.host, port: settings.port, database: settings.database, auth: settings.auth });
  return opened;
}

// Runs first on every new connection (commands on a connection run in order, so before any of ours).
// One extra round trip per connection, not per request; reading a variable does not pin a proxy session.
function guardSqlMode(db: DbState): void {
  db.pool.pool.on('connection', (connection) => {
    connection.query<mysql.RowDataPacket[]>('SELECT @@SESSION.sql_mode AS mode', (error, rows) => {
      if (error || !/NO_BACKSLASH_ESCAPES/i.test(String(rows[0]?.mode ?? ''))) return;
      db.unsafeSqlMode = true;
      connection.destroy();
    });
  });
}

export function poolOptions(settings: DbSettings, tokens?: IamTokenCache): mysql.PoolOptions {
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    database: settings.database,
    password: settings.password,
    charset: 'UTF8MB4_UNICODE_CI',
    connectTimeout: settings.connectTimeoutMs,
    connectionLimit: settings.poolSize,
    maxIdle: settings.poolSize,
    // Keep idle connections alive across invocations; the proxy/server decides when they are too old,
    // and a dropped one is replaced on the next checkout.
    idleTimeout: 15 * 60_000,
    enableKeepAlive: true,
    keepAliveInitialDelay: 30_000,
    supportBigNumbers: true,
    // RDS Proxy presents an ACM certificate that Node's default CA store trusts: no CA bundle to ship.
    ssl: settings.tls ? { rejectUnauthorized: true, minVersion: 'TLSv1.2' } : undefined,
    // IAM auth: the proxy asks for the token in clear text (inside TLS). query() renews the cached
    // token before every checkout, so a connection opened now gets a token with >= 5 minutes left.
    authPlugins: tokens ? { mysql_clear_password: () => () => Buffer.from(`${tokens.current()}\0`) } : undefined,
  };
}

function current(): DbState {
  state ??= open();
  return state;
}

/** Runs one statement with `?` placeholders; values are escaped by the driver, never concatenated. */
export async function query<T>(sql: string, params: readonly SqlParam[], options: QueryOptions): Promise<T> {
  const db = current();
  if (db.tokens) await db.tokens.fresh();
  for (let attempt = 1; ; attempt++) {
    try {
      if (db.unsafeSqlMode) throw new UnsafeSqlModeError();
      return await runOnce<T>(db, sql, params);
    } catch (error) {
      if (db.unsafeSqlMode) throw new UnsafeSqlModeError();
      const retry = attempt === 1 && isConnectionError(error) && !isHopeless(error) && (options.idempotent || provesNothingWasSent(error));
      if (retry) {
        logger.warn('database connection dropped; retrying once on a new connection', { code: (error as { code?: string }).code });
        continue;
      }
      throw translateDbError(error);
    }
  }
}

// The driver's callback API: its promise wrapper captures a stack trace per call, which costs more than
// everything else our handlers do on a warm request.
function runOnce<T>(db: DbState, sql: string, params: readonly SqlParam[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    db.pool.pool.getConnection((connectError, connection) => {
      if (connectError) {
        reject(connectError);
        return;
      }
      connection.query({ sql, values: [...params], timeout: db.settings.queryTimeoutMs }, (error, rows) => {
        if (!error) {
          connection.release();
          resolve(rows as T);
          return;
        }
        // A connection that timed out may still be busy with the statement, and a broken one is
        // useless: never hand either to the next request.
        if (isConnectionError(error) || error.fatal) connection.destroy();
        else connection.release();
        reject(error);
      });
    });
  });
}

// No connection at all (refused, unreachable) or no answer in time: an immediate retry would only make
// the client wait longer for the same 503.
function isHopeless(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ETIMEDOUT' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EHOSTUNREACH' ||
    code === 'PROTOCOL_SEQUENCE_TIMEOUT'
  );
}

/**
 * Closes the pool and forgets the settings, so the next query reads the environment again.
 * For the local rehearsal's shutdown, the benchmark and tests (which point one module instance at a
 * running, read-only or dead database in turn); a Lambda execution environment never needs it.
 */
export async function closeDb(): Promise<void> {
  const closing = state;
  state = undefined;
  if (closing) await closing.pool.end().catch(() => undefined);
}
