// Database settings, read once at cold start. A wrong value fails the first invocation with an error
// that names the variable (logged, 500), instead of a confusing driver error later.
//
// The environment contract (the CDK app sets it per function; the local rehearsal and the tests use
// localDbEnv / localTableStepEnv below):
//   DB_HOST, DB_PORT            the RDS Proxy's default endpoint (read/write: the writer instance)
//   DB_READ_HOST, DB_READ_PORT  its READ_ONLY endpoint (reader instances), where a region that is not the
//                               writer serves reads; default: DB_HOST / DB_PORT (one endpoint, no passive reads)
//   DB_ROLE_RECHECK_SECONDS     how long the answer of the read/write endpoint (writer or not) decides
//                               where reads go before it is asked again; default 5
//   DB_NAME, DB_USER            database, and the user the function logs in as (the ToDo functions:
//                               DB_APP_USER of #names; CreateTableFunction: the master user)
//   DB_AUTH, DB_PASSWORD, DB_TLS, DB_CONNECT_TIMEOUT_MS, DB_QUERY_TIMEOUT_MS, DB_POOL_SIZE
// CreateTableFunction only (readTableStepSettings):
//   DB_ADMIN_USER, DB_ADMIN_PASSWORD   the master user, when it is not DB_USER / DB_PASSWORD (the local
//                                      rehearsal, where one process hosts every function)
//   DB_APP_USER                 the application user it creates (default todo_app)
//   DB_APP_SECRET_ARN           that user's secret (Secrets Manager, JSON with `password`), or
//   DB_APP_PASSWORD             its password (local)
//   DB_SETUP_WAIT_SECONDS       how long it waits for a new proxy or database to take connections; default 600
import { DB_APP_USER } from '#names';

export type DbAuth = 'iam' | 'password';

export interface DbSettings {
  /** The proxy's read/write (default) endpoint. */
  readonly host: string;
  readonly port: number;
  /** The proxy's read-only endpoint; the same as host/port when there is only one. */
  readonly readHost: string;
  readonly readPort: number;
  /** How long the read/write endpoint's answer (writer or not) is trusted before it is asked again. */
  readonly roleRecheckMs: number;
  readonly database: string;
  readonly user: string;
  readonly auth: DbAuth;
  /** Only for DB_AUTH=password. */
  readonly password?: string;
  /** TLS to the database; always on with IAM auth (the token is sent in clear text inside TLS). */
  readonly tls: boolean;
  /** The region that signs IAM tokens (the Lambda runtime sets AWS_REGION). */
  readonly region?: string;
  readonly connectTimeoutMs: number;
  readonly queryTimeoutMs: number;
  /** Connections kept per execution environment; Lambda runs one request at a time, so 1-2 is plenty. */
  readonly poolSize: number;
}

export class EnvError extends Error {
  constructor(variable: string, problem: string) {
    super(`environment variable ${variable} ${problem}`);
    this.name = 'EnvError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The inverse of readDbSettings for a local MariaDB (password auth, no TLS): the env that the local
 * rehearsal, the tests and the benchmark give the functions, so the variable names live here only.
 */
export function localDbEnv(db: {
  readonly port: number;
  /** The read-only endpoint's port. @default port */
  readonly readPort?: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
}): Record<string, string> {
  return {
    DB_HOST: '127.0.0.1',
    DB_PORT: String(db.port),
    DB_READ_HOST: '127.0.0.1',
    DB_READ_PORT: String(db.readPort ?? db.port),
    DB_NAME: db.database,
    DB_USER: db.user,
    DB_AUTH: 'password',
    DB_PASSWORD: db.password,
  };
}

export function readDbSettings(env: Env = process.env): DbSettings {
  const auth = (env.DB_AUTH ?? 'iam').trim().toLowerCase();
  if (auth !== 'iam' && auth !== 'password') throw new EnvError('DB_AUTH', `must be 'iam' or 'password' (got '${env.DB_AUTH}')`);
  const password = env.DB_PASSWORD;
  if (auth === 'password' && password === undefined) {
    throw new EnvError('DB_PASSWORD', 'is required when DB_AUTH=password');
  }
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (auth === 'iam' && !region) throw new EnvError('AWS_REGION', 'is required when DB_AUTH=iam (the region that signs the token)');
  const host = required(env, 'DB_HOST');
  const port = integer(env, 'DB_PORT', 3306, 1, 65535);
  const readHost = env.DB_READ_HOST?.trim() || host;
  return {
    host,
    port,
    readHost,
    // A separate read-only endpoint listens where the default one does (3306 on AWS).
    readPort: integer(env, 'DB_READ_PORT', readHost === host ? port : 3306, 1, 65535),
    roleRecheckMs: integer(env, 'DB_ROLE_RECHECK_SECONDS', 5, 0, 300) * 1000,
    database: required(env, 'DB_NAME'),
    user: required(env, 'DB_USER'),
    auth,
    password: auth === 'password' ? password : undefined,
    tls: boolean(env, 'DB_TLS', false) || auth === 'iam',
    region,
    connectTimeoutMs: integer(env, 'DB_CONNECT_TIMEOUT_MS', 3000, 100, 60_000),
    queryTimeoutMs: integer(env, 'DB_QUERY_TIMEOUT_MS', 5000, 100, 300_000),
    poolSize: integer(env, 'DB_POOL_SIZE', 2, 1, 20),
  };
}

export interface TableStepSettings {
  /** The master user the table step logs in as (IAM token or adminPassword, as DB_AUTH says). */
  readonly adminUser: string;
  readonly adminPassword?: string;
  /** The application user it creates or updates: DML on the ToDo table only. */
  readonly appUser: string;
  /** Where that user's password comes from. */
  readonly appPassword: { readonly secretArn: string } | { readonly value: string };
  /** How long to wait for a database or proxy that is not ready yet (connect timeouts, 9501, registering). */
  readonly waitMs: number;
}

/** CreateTableFunction's own settings, on top of readDbSettings (which gives endpoint, auth and TLS). */
export function readTableStepSettings(env: Env = process.env): TableStepSettings {
  const db = readDbSettings(env);
  const adminUser = env.DB_ADMIN_USER?.trim() || db.user;
  const appUser = env.DB_APP_USER?.trim() || DB_APP_USER;
  if (!/^[A-Za-z0-9_]{1,32}$/.test(appUser)) throw new EnvError('DB_APP_USER', `must be 1 to 32 of [A-Za-z0-9_] (got '${appUser}')`);
  if (appUser === adminUser) {
    throw new EnvError(
      'DB_APP_USER',
      `must differ from the user the table step logs in as (${adminUser}): the functions never use the master user`,
    );
  }
  const adminPassword = env.DB_ADMIN_PASSWORD ?? db.password;
  if (db.auth === 'password' && adminPassword === undefined) throw new EnvError('DB_ADMIN_PASSWORD', 'is required when DB_AUTH=password');
  const secretArn = env.DB_APP_SECRET_ARN?.trim();
  const value = env.DB_APP_PASSWORD;
  if (!secretArn && !value) {
    throw new EnvError('DB_APP_SECRET_ARN', `(or DB_APP_PASSWORD) is required: the password of the application user ${appUser}`);
  }
  return {
    adminUser,
    adminPassword: db.auth === 'password' ? adminPassword : undefined,
    appUser,
    appPassword: secretArn ? { secretArn } : { value: value! },
    waitMs: integer(env, 'DB_SETUP_WAIT_SECONDS', 600, 0, 3600) * 1000,
  };
}

/** The table step's part of the env for a local MariaDB (the rehearsal's admin user stands in for the master). */
export function localTableStepEnv(o: {
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly appPassword: string;
  readonly waitSeconds?: number;
}): Record<string, string> {
  return {
    DB_ADMIN_USER: o.adminUser,
    DB_ADMIN_PASSWORD: o.adminPassword,
    DB_APP_PASSWORD: o.appPassword,
    ...(o.waitSeconds === undefined ? {} : { DB_SETUP_WAIT_SECONDS: String(o.waitSeconds) }),
  };
}

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new EnvError(name, 'is required');
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new EnvError(name, `must be an integer from ${min} to ${max} (got '${raw}')`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new EnvError(name, `must be true or false (got '${env[name]}')`);
}
