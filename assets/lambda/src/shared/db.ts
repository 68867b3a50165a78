// The one module that talks to the database. A small pool per RDS Proxy endpoint lives at module scope:
// created on the first query of an execution environment (cold start) and reused by every later
// invocation, so a warm request costs one round trip instead of connect + auth + query + close.
//
// Two endpoints (AWS Aurora user guide, "Using RDS Proxy with Aurora global databases" and "Working with
// Amazon RDS Proxy endpoints"): the proxy's default read/write endpoint reaches the writer instance and
// refuses every connection while this region's cluster is a secondary ("The target group doesn't have
// any associated read/write instances"); its READ_ONLY endpoint reaches reader instances and fails while
// the cluster has none (our primary as deployed: a writer only). So writes always go to read/write, and
// reads go where the read/write endpoint's last answer says: to it while it answers (this region
// writes), to read-only while it refuses (the passive region). That answer is remembered for
// DB_ROLE_RECHECK_SECONDS and asked again after, so a failover or a failback flips it in a warm
// execution environment, without a cold start.
//
// Statements use placeholders and the text protocol: the driver escapes each value into the statement.
// Server-side prepared statements would pin every client session to one database connection in the
// RDS Proxy, which is the multiplexing the proxy is there for. The driver's escaping relies on
// backslashes, so a connection whose sql_mode has NO_BACKSLASH_ESCAPES is refused before it runs
// anything (see guardSqlMode).
import * as mysql from 'mysql2/promise';
import { readDbSettings, type DbSettings } from './env';
import { isConnectionError, isNoWriterRefusal, isUnreachable, provesNothingWasSent, translateDbError } from './errors';
import { IamTokenCache, rdsSigner } from './iam-token';
import { logger } from './logger';

export type SqlParam = string | number | null;

export interface QueryOptions {
  /**
   * Safe to run twice. A statement that fails because the connection dropped mid-flight is retried once
   * on a new connection only when it is idempotent, or when the driver proves nothing was sent.
   */
  readonly idempotent: boolean;
  /**
   * Needs the writer: a write, or a read that must see the write just made. Anything else is a read,
   * served by the read-only endpoint while this region is not the writer.
   * @default false
   */
  readonly writer?: boolean;
}

type EndpointName = 'read/write' | 'read-only';

interface Endpoint {
  readonly name: EndpointName;
  readonly pool: mysql.Pool;
  readonly tokens?: IamTokenCache;
}

interface DbState {
  readonly settings: DbSettings;
  readonly readWrite: Endpoint;
  /** The same object as readWrite when the settings name one endpoint for both. */
  readonly readOnly: Endpoint;
  /** Where reads go, and until when that holds before the read/write endpoint is asked again. */
  reads?: { readonly from: EndpointName; readonly until: number };
  /** The read/write endpoint's last definite answer was "no writer": this is the passive region. */
  passive: boolean;
  /** Set when a connection reported NO_BACKSLASH_ESCAPES: every query then fails (500, logged). */
  readonly sqlMode: { unsafe: boolean };
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
  const sqlMode = { unsafe: false };
  const endpoint = (name: EndpointName, host: string, port: number): Endpoint => {
    const tokens = settings.auth === 'iam' ? new IamTokenCache(signerFor(settings, host, port, settings.user)) : undefined;
    const pool = mysql.createPool(poolOptions({ ...settings, host, port }, tokens));
    guardSqlMode(pool, sqlMode);
    return { name, pool, tokens };
  };
  const readWrite = endpoint('read/write', settings.host, settings.port);
  const separate = settings.readHost !== settings.host || settings.readPort !== settings.port;
  const readOnly = separate ? endpoint('read-only', settings.readHost, settings.readPort) : readWrite;
  logger.debug('database pools created', {
    readWrite: `${settings.host}:${settings.port}`,
    readOnly: `${settings.readHost}:${settings.readPort}`,
    database: settings.database,
    auth: settings.auth,
  });
  return { settings, readWrite, readOnly, passive: false, sqlMode };
}

const signerFor = (settings: DbSettings, host: string, port: number, user: string) =>
  rdsSigner({ host, port, user, region: settings.region! });

// Runs first on every new connection (commands on a connection run in order, so before any of ours).
// One extra round trip per connection, not per request; reading a variable does not pin a proxy session.
function guardSqlMode(pool: mysql.Pool, sqlMode: { unsafe: boolean }): void {
  pool.pool.on('connection', (connection) => {
    connection.query<mysql.RowDataPacket[]>('SELECT @@SESSION.sql_mode AS mode', (error, rows) => {
      if (error || !/NO_BACKSLASH_ESCAPES/i.test(String(rows[0]?.mode ?? ''))) return;
      sqlMode.unsafe = true;
      connection.destroy();
    });
  });
}

export function poolOptions(settings: DbSettings, tokens?: IamTokenCache): mysql.PoolOptions {
  return {
    ...connectionOptions(settings, settings.user, settings.password, tokens),
    connectionLimit: settings.poolSize,
    maxIdle: settings.poolSize,
    // Keep idle connections alive across invocations; the proxy/server decides when they are too old,
    // and a dropped one is replaced on the next checkout.
    idleTimeout: 15 * 60_000,
    enableKeepAlive: true,
    keepAliveInitialDelay: 30_000,
  };
}

function connectionOptions(settings: DbSettings, user: string, password: string | undefined, tokens?: IamTokenCache) {
  return {
    host: settings.host,
    port: settings.port,
    user,
    database: settings.database,
    password,
    charset: 'UTF8MB4_UNICODE_CI',
    connectTimeout: settings.connectTimeoutMs,
    supportBigNumbers: true,
    // RDS Proxy presents an ACM certificate that Node's default CA store trusts: no CA bundle to ship.
    ssl: settings.tls ? { rejectUnauthorized: true, minVersion: 'TLSv1.2' } : undefined,
    // IAM auth: the proxy asks for the token in clear text (inside TLS). query() renews the cached
    // token before every checkout, so a connection opened now gets a token with >= 5 minutes left.
    authPlugins: tokens ? { mysql_clear_password: () => () => Buffer.from(`${tokens.current()}\0`) } : undefined,
  } satisfies mysql.ConnectionOptions;
}

function current(): DbState {
  state ??= open();
  return state;
}

/** Runs one statement with `?` placeholders; values are escaped by the driver, never concatenated. */
export async function query<T>(sql: string, params: readonly SqlParam[], options: QueryOptions): Promise<T> {
  const db = current();
  return options.writer ? onWriter<T>(db, sql, params, options) : read<T>(db, sql, params, options);
}

async function onWriter<T>(db: DbState, sql: string, params: readonly SqlParam[], options: QueryOptions): Promise<T> {
  try {
    const rows = await runOn<T>(db, db.readWrite, sql, params, options);
    answered(db, 'writer');
    return rows;
  } catch (error) {
    if (isNoWriterRefusal(error)) answered(db, 'passive');
    throw translate(error, db);
  }
}

async function read<T>(db: DbState, sql: string, params: readonly SqlParam[], options: QueryOptions): Promise<T> {
  if (db.reads && db.reads.until > Date.now() && db.reads.from === 'read-only') {
    try {
      return await runOn<T>(db, db.readOnly, sql, params, options);
    } catch (error) {
      // The read-only endpoint dropped or refused us (its region became a writer without readers, by a
      // failback): read/write is asked again at once, not after the recheck.
      if (!connectFailures.has(error as object) && !isConnectionError(error)) throw translate(error, db);
      db.reads = undefined;
    }
  }
  try {
    const rows = await runOn<T>(db, db.readWrite, sql, params, options);
    answered(db, 'writer');
    return rows;
  } catch (error) {
    if (db.readOnly === db.readWrite) {
      if (isNoWriterRefusal(error)) answered(db, 'passive');
      throw translate(error, db);
    }
    if (isNoWriterRefusal(error)) {
      answered(db, 'passive');
      return onReadOnly<T>(db, sql, params, options);
    }
    if (!isUnreachable(error)) throw translate(error, db);
    // No answer from read/write (its writer being promoted, or gone): read-only may still serve reads.
    try {
      const rows = await onReadOnly<T>(db, sql, params, options, false);
      logger.warn('read/write endpoint unreachable; reads go to the read-only endpoint for now', { code: codeOf(error) });
      db.reads = { from: 'read-only', until: Date.now() + db.settings.roleRecheckMs };
      return rows;
    } catch {
      throw translate(error, db);
    }
  }
}

async function onReadOnly<T>(db: DbState, sql: string, params: readonly SqlParam[], options: QueryOptions, translated = true): Promise<T> {
  try {
    return await runOn<T>(db, db.readOnly, sql, params, options);
  } catch (error) {
    if (connectFailures.has(error as object) || isConnectionError(error)) db.reads = undefined;
    throw translated ? translate(error, db) : error;
  }
}

/** Errors met while opening a connection (refused at the handshake, no answer): never a bug of ours. */
const connectFailures = new WeakSet<object>();

const translate = (error: unknown, db: DbState) =>
  translateDbError(error, { passive: db.passive, connecting: typeof error === 'object' && error !== null && connectFailures.has(error) });

function answered(db: DbState, role: 'writer' | 'passive'): void {
  const passive = role === 'passive';
  if (passive !== db.passive)
    logger.info(passive ? 'this region is not the writer: reads go to the read-only endpoint' : 'this region writes');
  db.passive = passive;
  db.reads = { from: passive ? 'read-only' : 'read/write', until: Date.now() + db.settings.roleRecheckMs };
}

const codeOf = (error: unknown) => (error as { code?: string; errno?: number }).code ?? (error as { errno?: number }).errno;

/** One endpoint, with one retry on a dropped connection; errors come back as the driver's. */
async function runOn<T>(db: DbState, endpoint: Endpoint, sql: string, params: readonly SqlParam[], options: QueryOptions): Promise<T> {
  if (endpoint.tokens) await endpoint.tokens.fresh();
  for (let attempt = 1; ; attempt++) {
    try {
      if (db.sqlMode.unsafe) throw new UnsafeSqlModeError();
      return await runOnce<T>(db, endpoint, sql, params);
    } catch (error) {
      if (db.sqlMode.unsafe) throw new UnsafeSqlModeError();
      const retry = attempt === 1 && isConnectionError(error) && !isHopeless(error) && (options.idempotent || provesNothingWasSent(error));
      if (!retry) throw error;
      logger.warn('database connection dropped; retrying once on a new connection', { code: codeOf(error), endpoint: endpoint.name });
    }
  }
}

// The driver's callback API: its promise wrapper captures a stack trace per call, which costs more than
// everything else our handlers do on a warm request.
function runOnce<T>(db: DbState, endpoint: Endpoint, sql: string, params: readonly SqlParam[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    endpoint.pool.pool.getConnection((connectError, connection) => {
      if (connectError) {
        connectFailures.add(connectError);
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
  return isUnreachable(error) || (error as { code?: string }).code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}

/** A single connection of another user to the read/write endpoint (the table step's master user). */
export interface Session {
  query<T>(sql: string, params?: readonly SqlParam[]): Promise<T>;
  close(): Promise<void>;
}

/**
 * Opens a session as `user` on the read/write endpoint, with this function's TLS and IAM settings (a
 * token signed for that user). Errors come back as the driver's: the caller decides what they mean.
 */
export async function openSession(user: string, password: string | undefined): Promise<Session> {
  const settings = readDbSettings();
  const tokens = settings.auth === 'iam' ? new IamTokenCache(signerFor(settings, settings.host, settings.port, user)) : undefined;
  if (tokens) await tokens.fresh();
  const connection = await mysql.createConnection({ ...connectionOptions(settings, user, password, tokens), multipleStatements: false });
  return {
    async query<T>(sql: string, params: readonly SqlParam[] = []) {
      const [rows] = await connection.query({ sql, values: [...params], timeout: settings.queryTimeoutMs });
      return rows as T;
    },
    close: () => connection.end().catch(() => connection.destroy()),
  };
}

/**
 * Closes the pools and forgets the settings, so the next query reads the environment again.
 * For the local rehearsal's shutdown, the benchmark and tests (which point one module instance at a
 * running, read-only or dead database in turn); a Lambda execution environment never needs it.
 */
export async function closeDb(): Promise<void> {
  const closing = state;
  state = undefined;
  if (!closing) return;
  await closing.readWrite.pool.end().catch(() => undefined);
  if (closing.readOnly !== closing.readWrite) await closing.readOnly.pool.end().catch(() => undefined);
}
