// Database settings, read once at cold start. A wrong value fails the first invocation with an error
// that names the variable (logged, 500), instead of a confusing driver error later.

export type DbAuth = 'iam' | 'password';

export interface DbSettings {
  readonly host: string;
  readonly port: number;
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
  readonly database: string;
  readonly user: string;
  readonly password: string;
}): Record<string, string> {
  return {
    DB_HOST: '127.0.0.1',
    DB_PORT: String(db.port),
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
  return {
    host: required(env, 'DB_HOST'),
    port: integer(env, 'DB_PORT', 3306, 1, 65535),
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
