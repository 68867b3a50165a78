// CreateTableFunction's work, run by the deploy's trigger and by hand ({"action":"CREATE_TABLE"}):
// as the master user, create the ToDos table and the application user the other functions log in as
// (DML on that table only), idempotently. The only code that ever uses the master credentials.
//
// It runs as soon as the function exists, while a new RDS Proxy's target may still be registering for
// minutes; so connection failures that mean "not ready yet" are retried with backoff, for a bounded time
// (DB_SETUP_WAIT_SECONDS). In a region that is not the writer (a pipeline run after a failover) it
// writes nothing and says so: Aurora replicates the table and the user from the writer.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RowDataPacket, ResultSetHeader } from 'mysql2';
import { openSession, type Session } from './db';
import { readDbSettings, readTableStepSettings, type TableStepSettings } from './env';
import { ClientError, isConnectionError, isNoWriterRefusal, isUnreachable } from './errors';
import { logger } from './logger';
import { CREATE_TABLE_SQL, TABLE_NAME } from './todos';

/** The user's host part: any, as the connections come from the proxy (or the local stand-in). */
const APP_USER_HOST = '%';
const APP_USER_PRIVILEGES = 'SELECT, INSERT, UPDATE, DELETE';
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 20_000;
/** Left to the Lambda runtime to report the final error before the function's own timeout. */
const TIMEOUT_MARGIN_MS = 5000;

export type TableStepResult =
  | { readonly table: string; readonly created: boolean; readonly appUser: string; readonly appUserCreated: boolean }
  | { readonly table: string; readonly created: false; readonly skipped: string };

/** The bounded wait is over: what it waited for, and the last thing the database said. */
export class TableStepTimeoutError extends ClientError {
  readonly statusCode = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TableStepTimeoutError';
  }
}

export interface TableStepOptions {
  /** Time the invocation has left (Lambda's context.getRemainingTimeInMillis). @default unbounded */
  readonly remainingMs?: () => number;
}

export async function runTableStep(options: TableStepOptions = {}): Promise<TableStepResult> {
  const settings = readTableStepSettings();
  const db = readDbSettings();
  const started = Date.now();
  const budget = Math.min(settings.waitMs, (options.remainingMs?.() ?? Infinity) - TIMEOUT_MARGIN_MS);
  const what =
    `the read/write endpoint ${db.host}:${db.port} to take the table step's connection as ${settings.adminUser}` +
    ' (a new RDS Proxy registers its target for minutes)';
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptOnce(settings, db.database);
    } catch (error) {
      if (isNoWriterRefusal(error)) return notWriter('its read/write endpoint has no writer instance');
      if (!isNotReadyYet(error)) throw error;
      const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1));
      const waited = Date.now() - started;
      if (waited + delay > budget) {
        throw new TableStepTimeoutError(
          `gave up after ${Math.round(waited / 1000)} s and ${attempt} attempts waiting for ${what}; last error: ${describe(error)}`,
          { cause: error },
        );
      }
      logger.warn('the database is not ready for the table step yet; waiting', { attempt, retryInMs: delay, reason: describe(error) });
      await sleep(delay);
    }
  }
}

function notWriter(why: string): TableStepResult {
  const skipped = `this region is not the writer (${why}): nothing written, the table and the application user come by replication`;
  logger.info('table step skipped', { skipped });
  return { table: TABLE_NAME, created: false, skipped };
}

async function attemptOnce(settings: TableStepSettings, database: string): Promise<TableStepResult> {
  const password = await appPassword(settings);
  const session = await openSession(settings.adminUser, settings.adminPassword);
  try {
    // A replica or a fenced writer reached directly (no proxy in front to refuse): Aurora readers have
    // innodb_read_only, a MariaDB replica read_only; the master user would get past read_only.
    const [flags] = await session.query<RowDataPacket[]>('SELECT @@GLOBAL.read_only AS ro, @@GLOBAL.innodb_read_only AS iro');
    if (Number(flags.ro) === 1 || Number(flags.iro) === 1) return notWriter('its database is read-only');
    const table = await session.query<ResultSetHeader>(CREATE_TABLE_SQL);
    const appUserCreated = await ensureAppUser(session, settings.appUser, password, database);
    // An existing table makes CREATE TABLE IF NOT EXISTS a no-op with a warning (Note 1050).
    const result = { table: TABLE_NAME, created: table.warningStatus === 0, appUser: settings.appUser, appUserCreated };
    logger.info('table step done', result);
    return result;
  } finally {
    await session.close();
  }
}

/**
 * CREATE USER IF NOT EXISTS, then the password from the secret (ALTER USER, so a rotated secret is
 * applied) and exactly SELECT, INSERT, UPDATE, DELETE on the ToDos table: any other privilege found is
 * revoked first. Values are escaped by the driver; errors are rethrown without the statement (mysql2
 * puts the SQL on its errors, and the logger prints every property).
 *
 * The password travels as its mysql_native_password hash (`IDENTIFIED WITH … AS`), never as text:
 * Advanced Auditing logs the text of DCL statements to CloudWatch ("Using Advanced Auditing with an
 * Amazon Aurora MySQL DB cluster"). mysql_native_password is what RDS Proxy logs in with to Aurora
 * MySQL 3 (MySQL 8.0) by default, and MariaDB (the rehearsal) takes the same syntax.
 */
async function ensureAppUser(session: Session, user: string, password: string, database: string): Promise<boolean> {
  const hash = nativePasswordHash(password);
  const run = async <T>(what: string, sql: string, params: readonly string[]): Promise<T> => {
    try {
      return await session.query<T>(sql, params);
    } catch (error) {
      const e = error as { code?: string; errno?: number; sqlMessage?: string; message?: string };
      const text = redact(redact(e.sqlMessage ?? e.message ?? String(error), password), hash);
      throw Object.assign(new Error(`${what} for the application user ${user} failed: ${text}`), { code: e.code, errno: e.errno });
    }
  };
  const identified = 'IDENTIFIED WITH mysql_native_password AS ?';
  const created = await run<ResultSetHeader>('CREATE USER', `CREATE USER IF NOT EXISTS ?@? ${identified}`, [user, APP_USER_HOST, hash]);
  const isNew = created.warningStatus === 0;
  if (!isNew) await run('ALTER USER', `ALTER USER ?@? ${identified}`, [user, APP_USER_HOST, hash]);
  // SHOW GRANTS may print the password hash: these lines are compared, never logged.
  const rows = await run<RowDataPacket[]>('SHOW GRANTS', 'SHOW GRANTS FOR ?@?', [user, APP_USER_HOST]);
  const lines = rows.map((row) => String(Object.values(row)[0]));
  const wanted = new RegExp(`^GRANT ${APP_USER_PRIVILEGES} ON \`${database}\`\\.\`${TABLE_NAME}\` TO `);
  const extra = lines.filter((line) => !/^GRANT USAGE ON \*\.\* TO /.test(line) && !wanted.test(line));
  if (extra.length > 0) {
    logger.warn('the application user had privileges beyond DML on the ToDos table; revoking them', { user, grants: extra.length });
    await run('REVOKE', 'REVOKE ALL PRIVILEGES, GRANT OPTION FROM ?@?', [user, APP_USER_HOST]);
  }
  if (extra.length > 0 || !lines.some((line) => wanted.test(line))) {
    await run('GRANT', `GRANT ${APP_USER_PRIVILEGES} ON ??.?? TO ?@?`, [database, TABLE_NAME, user, APP_USER_HOST]);
  }
  return isNew;
}

const redact = (text: string, secret: string) => (secret ? text.split(secret).join('***') : text);

/** MySQL's mysql_native_password authentication string: `*` and the upper-case hex of SHA1(SHA1(password)). */
export const nativePasswordHash = (password: string): string =>
  `*${createHash('sha1').update(createHash('sha1').update(password, 'utf8').digest()).digest('hex').toUpperCase()}`;

// ---- the application user's password ----------------------------------------------------------

// The Lambda runtime ships SDK v3 and the bundle leaves it out (a plain require, which finds the runtime's
// copy; a dynamic import() would not look on NODE_PATH). The client is created on first use, once per
// execution environment: only this table step reads a secret, and only on AWS.
let secretsClient: SecretsManagerClient | undefined;
const secretString = async (secretId: string): Promise<string | undefined> =>
  (await (secretsClient ??= new SecretsManagerClient({})).send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;

async function appPassword(settings: TableStepSettings): Promise<string> {
  if ('value' in settings.appPassword) return settings.appPassword.value;
  const arn = settings.appPassword.secretArn;
  let text: string | undefined;
  try {
    text = await secretString(arn);
  } catch (error) {
    const e = error as { name?: string; message?: string; code?: string };
    throw Object.assign(new Error(`cannot read the application user's secret (DB_APP_SECRET_ARN ${arn}): ${e.name}: ${e.message}`), {
      code: e.code,
      name: e.name,
    });
  }
  let parsed: { username?: unknown; password?: unknown } | undefined;
  try {
    parsed = JSON.parse(text ?? '') as typeof parsed;
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed.password !== 'string' || !parsed.password) {
    throw new Error(`the secret DB_APP_SECRET_ARN (${arn}) is not JSON with a "password" string`);
  }
  if (parsed.username !== undefined && parsed.username !== settings.appUser) {
    throw new Error(
      `the secret DB_APP_SECRET_ARN (${arn}) is for user ${JSON.stringify(parsed.username)}, not DB_APP_USER ${settings.appUser}`,
    );
  }
  return parsed.password;
}

// ---- what "not ready yet" looks like -----------------------------------------------------------

const NOT_READY_ERRNOS = new Set([
  1040, // too many connections / the proxy's connection or IAM authentication rate limit
  1045, // access denied: the proxy refuses IAM while its secret registers
  1053, // server shutdown in progress
  1105, // the proxy's "Unknown error"
  1927, // connection killed
  2026, // TLS handshake to the proxy failed
  9501, // the proxy timed out waiting for a database connection (target not available yet)
]);
const NOT_READY_CODES = new Set(['PROTOCOL_SEQUENCE_TIMEOUT', 'EPROTO', 'HANDSHAKE_SSL_ERROR', 'TimeoutError']);

function isNotReadyYet(error: unknown): boolean {
  const e = error as { code?: string; errno?: number; name?: string; message?: string } | undefined;
  if (!e || typeof e !== 'object') return false;
  if (isUnreachable(e) || isConnectionError(e)) return true;
  if (e.errno !== undefined && NOT_READY_ERRNOS.has(e.errno)) return true;
  if ((e.code && NOT_READY_CODES.has(e.code)) || (e.name && NOT_READY_CODES.has(e.name))) return true;
  return /regist(er|ration)/i.test(e.message ?? '');
}

function describe(error: unknown): string {
  const e = error as { code?: string; errno?: number; message?: string };
  const id = [e.code, e.errno].filter((v) => v !== undefined).join(' ');
  return `${id ? `${id}: ` : ''}${e.message ?? String(error)}`;
}
