// The one module that talks to the database. A small pool lives at module scope: created on the first
// query of an execution environment (cold start) and reused by every later invocation, so a warm
// request costs one round trip instead of connect + auth + query + close.
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
}

let state: DbState | undefined;

function open(): DbState {
  const settings = readDbSettings();
  const tokens =
    settings.auth === 'iam'
      ? new IamTokenCache(rdsSigner({ host: settings.host, port: settings.port, user: settings.user, region: settings.region! }))
      : undefined;
  const pool = mysql.createPool(poolOptions(settings, tokens));
  logger.debug('database pool created', { host: settings.host, port: settings.port, database: settings.database, auth: settings.auth });
  return { settings, pool, tokens };
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
    // IAM auth: the proxy asks for the token in clear text (inside TLS); the callback is synchronous,
    // so execute() renews the cached token before every checkout.
    authPlugins: tokens ? { mysql_clear_password: () => () => Buffer.from(`${tokens.current()}\0`) } : undefined,
  };
}

function current(): DbState {
  state ??= open();
  return state;
}

/** Runs one parameterized statement (server-side prepared: values never become SQL text). */
export async function execute<T>(sql: string, params: readonly SqlParam[], options: QueryOptions): Promise<T> {
  const db = current();
  if (db.tokens) await db.tokens.fresh();
  for (let attempt = 1; ; attempt++) {
    try {
      const [rows] = await db.pool.execute({ sql, timeout: db.settings.queryTimeoutMs }, params as SqlParam[]);
      return rows as T;
    } catch (error) {
      const retry = attempt === 1 && isConnectionError(error) && !isConnectFailure(error) && (options.idempotent || provesNothingWasSent(error));
      if (retry) {
        logger.warn('database connection dropped; retrying once on a new connection', { code: (error as { code?: string }).code });
        continue;
      }
      throw translateDbError(error);
    }
  }
}

// A failure to connect at all (refused, timed out) will not be fixed by an immediate retry: answer fast.
function isConnectFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH';
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
