// Starts a real MariaDB on 127.0.0.1 for the handler tests, the benchmark and the local two-region
// rehearsal. Every server is started with what replication needs (server id, binlog in ROW format,
// GTID strict mode, log-slave-updates), so the rehearsal can chain replicas on top; replication itself
// lives in the rehearsal's own module.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import { freePort, LOOPBACK } from './ports';

export interface StartMariaDbOptions {
  /** Persistent data directory, re-used when already initialized. Default: a fresh temp dir removed by stop(). */
  readonly dataDir?: string;
  /** TCP port on 127.0.0.1. Default (0/undefined): a free port. */
  readonly port?: number;
  /** Replication server id; must differ between servers that replicate. Default 1. */
  readonly serverId?: number;
  /** Start with read_only=1 (writes by non-SUPER users fail with error 1290). */
  readonly readOnly?: boolean;
  /** InnoDB buffer pool in MB. Default 16 (~60 MB RSS per server). */
  readonly bufferPoolMb?: number;
  /** Extra mariadbd flags, appended last so they win. */
  readonly extraArgs?: readonly string[];
  /** How long to wait for "ready for connections". Default 30 s. */
  readonly startTimeoutMs?: number;
  /**
   * Keep the server running after this Node process exits (the local rehearsal's `deploy.sh --local`).
   * Stop it later with stopMariaDbAt(dataDir). Default false: the server dies with this process.
   */
  readonly detached?: boolean;
  /** Progress messages (install, init). Default: stderr. */
  readonly log?: (message: string) => void;
}

export interface AppDatabaseOptions {
  readonly database: string;
  readonly user: string;
  readonly password: string;
}

export interface MariaDbServer {
  readonly host: typeof LOOPBACK;
  readonly port: number;
  readonly socket: string;
  readonly dataDir: string;
  readonly pid: number;
  readonly serverId: number;
  /** The server's error log; its tail is included in start failures. */
  readonly logFile: string;
  /** Runs SQL as root over the unix socket (one lazily opened connection). */
  query<T = any>(sql: string, params?: unknown[]): Promise<T>;
  /** Creates a database and a user with DML and DDL on it only, so that read_only applies to that user. */
  createAppDatabase(options: AppDatabaseOptions): Promise<void>;
  /** SET GLOBAL read_only. */
  setReadOnly(readOnly: boolean): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period) and removes a temporary data dir. */
  stop(): Promise<void>;
}

export class MariaDbError extends Error {}

const SOCKET_FILE = 'mariadb.sock';
const PID_FILE = 'mariadb.pid';
const LOG_FILE = 'mariadb.err';
/** sun_path is 108 bytes on Linux. */
const MAX_SOCKET_PATH = 100;
const INSTALL_HINT = 'install it with: sudo apt-get update && sudo apt-get install -y mariadb-server';

// Servers this process started and has to kill on exit, with the temp data dir to remove (if any).
const attached = new Map<ChildProcess, string | undefined>();
let exitHookInstalled = false;

export async function startMariaDb(options: StartMariaDbOptions = {}): Promise<MariaDbServer> {
  const log = options.log ?? ((m: string) => process.stderr.write(`[mariadb] ${m}\n`));
  const binaries = ensureMariaDbInstalled(log);
  const temporary = !options.dataDir;
  const dataDir = path.resolve(options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-mariadb-')));
  fs.mkdirSync(dataDir, { recursive: true });
  const socket = socketPathFor(dataDir);
  const logFile = path.join(dataDir, LOG_FILE);
  const serverId = options.serverId ?? 1;

  try {
    const running = runningPid(dataDir);
    if (running) {
      throw new MariaDbError(
        `a MariaDB (pid ${running}) already runs on ${dataDir}; stop it first (stopMariaDbAt) or use another data dir`,
      );
    }
    const fresh = !fs.existsSync(path.join(dataDir, 'mysql'));
    if (fresh) initializeDataDir(binaries.installDb, dataDir, log);

    // A port picked here can be taken by someone else before mariadbd binds it: retry a few times.
    const attempts = options.port ? 1 : 4;
    for (let attempt = 1; ; attempt++) {
      const port = options.port || (await freePort());
      try {
        const child = await launch(binaries.server, {
          ...options,
          dataDir,
          socket,
          logFile,
          port,
          serverId,
          temporaryDir: temporary ? dataDir : undefined,
        });
        const server = handle({ child, port, socket, dataDir, logFile, serverId, temporary });
        // Anonymous accounts would shadow the app user; dropped without a binlog event (no GTID to replicate).
        if (fresh) {
          await server.query("SET STATEMENT sql_log_bin=0 FOR DROP USER IF EXISTS ''@'localhost', ''@?", [os.hostname()]);
        }
        return server;
      } catch (error) {
        if (attempt < attempts && error instanceof PortInUseError) continue;
        throw error;
      }
    }
  } catch (error) {
    if (temporary) fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Stops a server started with `detached: true` (possibly by another process), found by its pid file. */
export async function stopMariaDbAt(dataDir: string, timeoutMs = 20_000): Promise<boolean> {
  const pid = runningPid(path.resolve(dataDir));
  if (!pid) return false;
  await terminate(pid, timeoutMs);
  return true;
}

/** The pid of a live server on dataDir, if any. */
export function runningPid(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, PID_FILE);
  if (!fs.existsSync(pidFile)) return undefined;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

// ---------------------------------------------------------------------------------------------------

interface Binaries {
  readonly server: string;
  readonly installDb: string;
}

function findBinary(names: readonly string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/sbin'];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (dir && fs.existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

function locateBinaries(): Binaries | undefined {
  const server = findBinary(['mariadbd', 'mysqld']);
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  return server && installDb ? { server, installDb } : undefined;
}

/** Finds mariadbd; installs Debian's mariadb-server when missing and we are root with apt-get. */
export function ensureMariaDbInstalled(log: (message: string) => void = (m) => process.stderr.write(`${m}\n`)): Binaries {
  const found = locateBinaries();
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !findBinary(['apt-get'])) {
    throw new MariaDbError(`MariaDB server (mariadbd, mariadb-install-db) not found; ${INSTALL_HINT}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Parallel test workers may race here: wait for the dpkg lock instead of failing.
  const steps: string[][] = [
    ['apt-get', 'update'],
    ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', 'mariadb-server'],
  ];
  for (const step of steps) {
    log(`MariaDB is missing; running: ${step.join(' ')}`);
    const result = spawnSync(step[0], step.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status !== 0 && !locateBinaries()) {
      throw new MariaDbError(`'${step.join(' ')}' failed (exit ${result.status}): ${tail(result.stderr ?? '')}\n${INSTALL_HINT}`);
    }
  }
  const installed = locateBinaries();
  if (!installed) throw new MariaDbError(`mariadb-server was installed but mariadbd is still not found; ${INSTALL_HINT}`);
  return installed;
}

function initializeDataDir(installDb: string, dataDir: string, log: (message: string) => void): void {
  log(`initializing ${dataDir}`);
  const args = ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=socket', '--skip-test-db'];
  if (process.getuid?.() === 0) args.push('--user=root');
  const result = spawnSync(installDb, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) {
    fs.rmSync(path.join(dataDir, 'mysql'), { recursive: true, force: true });
    throw new MariaDbError(`mariadb-install-db failed (exit ${result.status}): ${tail(`${result.stdout}\n${result.stderr}`)}`);
  }
}

class PortInUseError extends MariaDbError {}

interface LaunchOptions extends StartMariaDbOptions {
  readonly dataDir: string;
  readonly socket: string;
  readonly logFile: string;
  readonly port: number;
  readonly serverId: number;
  readonly temporaryDir?: string;
}

async function launch(server: string, o: LaunchOptions): Promise<ChildProcess> {
  const logStart = fs.existsSync(o.logFile) ? fs.statSync(o.logFile).size : 0;
  const args = [
    '--no-defaults',
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    `--datadir=${o.dataDir}`,
    `--socket=${o.socket}`,
    `--pid-file=${path.join(o.dataDir, PID_FILE)}`,
    `--log-error=${o.logFile}`,
    `--port=${o.port}`,
    `--bind-address=${LOOPBACK}`,
    '--skip-name-resolve',
    `--server-id=${o.serverId}`,
    // A fixed basename keeps binlog and relay-log names stable when the host name changes.
    '--log-basename=mariadb',
    '--log-bin',
    '--binlog-format=ROW',
    '--log-slave-updates=1',
    '--gtid-strict-mode=1',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    `--innodb-buffer-pool-size=${o.bufferPoolMb ?? 16}M`,
    '--innodb-log-file-size=16M',
    '--max-connections=300',
    ...(o.readOnly ? ['--read-only=1'] : []),
    ...(o.extraArgs ?? []),
  ];
  const child = spawn(server, args, {
    detached: Boolean(o.detached),
    stdio: 'ignore',
  });
  if (o.detached) child.unref();
  else track(child, o.temporaryDir);

  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (code ${code}, signal ${signal})`));
  child.once('error', (error) => (exited = `could not be started: ${error.message}`));

  const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
  while (true) {
    if (exited) {
      const logTail = readLogSince(o.logFile, logStart);
      attached.delete(child);
      if (/Address already in use|Bind on TCP\/IP port/i.test(logTail)) {
        throw new PortInUseError(`port ${o.port} is in use`);
      }
      throw new MariaDbError(`mariadbd ${exited} while starting on ${o.dataDir}; log tail:\n${tail(logTail)}`);
    }
    if (await canConnect(o.socket)) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      attached.delete(child);
      throw new MariaDbError(
        `mariadbd did not become ready within ${o.startTimeoutMs ?? 30_000} ms on ${o.dataDir}; log tail:\n` +
          tail(readLogSince(o.logFile, logStart)),
      );
    }
    await sleep(50);
  }
}

async function canConnect(socket: string): Promise<boolean> {
  if (!fs.existsSync(socket)) return false;
  try {
    const connection = await mysql.createConnection({ socketPath: socket, user: 'root', connectTimeout: 1000 });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

interface HandleProps {
  readonly child: ChildProcess;
  readonly port: number;
  readonly socket: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly serverId: number;
  readonly temporary: boolean;
}

function handle(p: HandleProps): MariaDbServer {
  let root: Promise<mysql.Connection> | undefined;
  let stopped: Promise<void> | undefined;

  const rootConnection = () => {
    root ??= mysql.createConnection({ socketPath: p.socket, user: 'root', multipleStatements: false, supportBigNumbers: true });
    root.catch(() => (root = undefined));
    return root;
  };

  const query = async <T>(sql: string, params?: unknown[]): Promise<T> => {
    let connection: mysql.Connection;
    try {
      connection = await rootConnection();
    } catch (error) {
      throw new MariaDbError(`cannot connect as root to ${p.socket}: ${(error as Error).message}`);
    }
    try {
      const [rows] = await connection.query(sql, params);
      return rows as T;
    } catch (error) {
      // A dropped root connection (server restarted) is reopened on the next call.
      if ((error as { fatal?: boolean }).fatal) root = undefined;
      throw error;
    }
  };

  const server: MariaDbServer = {
    host: LOOPBACK,
    port: p.port,
    socket: p.socket,
    dataDir: p.dataDir,
    pid: p.child.pid ?? 0,
    serverId: p.serverId,
    logFile: p.logFile,
    query,
    async createAppDatabase({ database, user, password }) {
      for (const [what, value] of [
        ['database', database],
        ['user', user],
      ] as const) {
        if (!/^[A-Za-z0-9_]{1,64}$/.test(value)) throw new MariaDbError(`invalid ${what} name '${value}': use [A-Za-z0-9_]`);
      }
      await query('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [database]);
      // 'localhost' matches the socket, '127.0.0.1' matches TCP (names are not resolved).
      for (const host of ['127.0.0.1', 'localhost']) {
        await query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, host, password]);
        await query('ALTER USER ?@? IDENTIFIED BY ?', [user, host, password]);
        // No SUPER, no global privileges: read_only applies to this user, as on a real replica.
        await query(
          'GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, ' +
            'CREATE TEMPORARY TABLES, LOCK TABLES, CREATE VIEW, SHOW VIEW ON ??.* TO ?@?',
          [database, user, host],
        );
      }
    },
    async setReadOnly(readOnly) {
      await query(`SET GLOBAL read_only = ${readOnly ? 1 : 0}`);
    },
    stop() {
      stopped ??= (async () => {
        const connection = root;
        root = undefined;
        if (connection)
          await connection.then(
            (c) => c.destroy(),
            () => undefined,
          );
        if (p.child.exitCode === null && p.child.signalCode === null) {
          await terminateChild(p.child);
        }
        attached.delete(p.child);
        if (p.temporary) fs.rmSync(p.dataDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  return server;
}

function terminateChild(child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function terminate(pid: number, timeoutMs: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await sleep(100);
      return;
    }
    await sleep(50);
  }
}

function track(child: ChildProcess, temporaryDir: string | undefined): void {
  attached.set(child, temporaryDir);
  child.once('exit', () => attached.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a SIGKILL is all we can do there. Signals get the same,
  // then the default behaviour (exit) if nobody else handles them.
  const killAll = () => {
    for (const [c, dir] of attached) {
      c.kill('SIGKILL');
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
    attached.clear();
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

function socketPathFor(dataDir: string): string {
  const inDataDir = path.join(dataDir, SOCKET_FILE);
  if (inDataDir.length <= MAX_SOCKET_PATH) return inDataDir;
  // Deep data dirs (CI clones): a short, stable path derived from the data dir.
  const hash = createHash('sha1').update(dataDir).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `todomgmt-mariadb-${hash}.sock`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLogSince(logFile: string, offset: number): string {
  try {
    return fs.readFileSync(logFile, 'utf8').slice(offset);
  } catch {
    return '(no log)';
  }
}

function tail(text: string, lines = 20): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
