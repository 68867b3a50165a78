// Starts a real MariaDB on 127.0.0.1 for the handler tests, the benchmark and the local two-region
// rehearsal, and hands back a small handle (root queries over the socket, an app database, stop).
// Every server is started with what replication needs (server id, binlog in ROW format, GTID strict
// mode, log-slave-updates), so the rehearsal can chain replicas on top; replication itself lives in
// the rehearsal's own modules. The process side (binaries, flags, readiness) is in mariadb-process.ts.
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import {
  detach,
  ensureMariaDbInstalled,
  initializeDataDir,
  launch,
  MariaDbError,
  PID_FILE,
  PortInUseError,
  terminateChild,
} from './mariadb-process';
import { freePort, LOOPBACK } from './ports';
import { commandLine, terminatePid } from './process-util';

export { ensureMariaDbInstalled, MariaDbError } from './mariadb-process';

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
  /** This instance's tmpdir, next to its data dir (removed by stop()). */
  readonly tmpDir: string;
  /** The server process has not exited (known from the child process itself, not from its pid). */
  readonly running: boolean;
  /** Signals the server if it still runs; never a later process that got its pid. */
  kill(signal: NodeJS.Signals): void;
  /** Runs SQL as root over the unix socket (one lazily opened connection). */
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T>;
  /** Creates a database and a user with DML and DDL on it only, so that read_only applies to that user. */
  createAppDatabase(options: AppDatabaseOptions): Promise<void>;
  /** SET GLOBAL read_only. */
  setReadOnly(readOnly: boolean): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period) and removes a temporary data dir. */
  stop(): Promise<void>;
}

const SOCKET_FILE = 'mariadb.sock';
const LOG_FILE = 'mariadb.err';
/** sun_path is 108 bytes on Linux. */
const MAX_SOCKET_PATH = 100;

export async function startMariaDb(options: StartMariaDbOptions = {}): Promise<MariaDbServer> {
  const log = options.log ?? ((m: string) => process.stderr.write(`[mariadb] ${m}\n`));
  const binaries = ensureMariaDbInstalled(log);
  const temporary = !options.dataDir;
  const dataDir = path.resolve(options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-mariadb-')));
  const tmpDir = tmpDirFor(dataDir);
  const socket = socketPathFor(dataDir);
  const logFile = path.join(dataDir, LOG_FILE);
  const serverId = options.serverId ?? 1;
  const removeTemporary = () => {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    if (temporary) fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const running = runningPid(dataDir);
  if (running) {
    throw new MariaDbError(`a MariaDB (pid ${running}) already runs on ${dataDir}; stop it first (stopMariaDbAt) or use another data dir`);
  }
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    // Whatever a killed server left in its tmpdir is of no use to the next one.
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
    const fresh = !fs.existsSync(path.join(dataDir, 'mysql'));
    if (fresh) await initializeDataDir(binaries.installDb, dataDir, tmpDir, log);

    // A port picked here can be taken by someone else before mariadbd binds it: retry a few times.
    const attempts = options.port ? 1 : 4;
    for (let attempt = 1; ; attempt++) {
      const port = options.port || (await freePort());
      let child: ChildProcess;
      try {
        child = await launch(binaries.server, {
          ...options,
          dataDir,
          tmpDir,
          socket,
          logFile,
          port,
          serverId,
          temporaryDirs: temporary ? [dataDir, tmpDir] : [tmpDir],
        });
      } catch (error) {
        if (attempt < attempts && error instanceof PortInUseError) continue;
        throw error;
      }
      const server = handle({ child, port, socket, dataDir, tmpDir, logFile, serverId, temporary });
      try {
        // Anonymous accounts would shadow the app user; dropped without a binlog event (no GTID to replicate).
        if (fresh) {
          await server.query("SET STATEMENT sql_log_bin=0 FOR DROP USER IF EXISTS ''@'localhost', ''@?", [os.hostname()]);
        }
      } catch (error) {
        // A start that fails stops what it started.
        await server.stop();
        throw error;
      }
      return server;
    }
  } catch (error) {
    removeTemporary();
    throw error;
  }
}

/** Where a data dir's server keeps its temporary files: next to it (inside, it would show as a database). */
export function tmpDirFor(dataDir: string): string {
  return `${path.resolve(dataDir)}-tmp`;
}

/** Stops a server started with `detached: true` (possibly by another process), found by its pid file. */
export async function stopMariaDbAt(dataDir: string, timeoutMs = 20_000): Promise<boolean> {
  const pid = runningPid(path.resolve(dataDir));
  if (!pid) return false;
  await terminatePid(pid, timeoutMs);
  fs.rmSync(tmpDirFor(dataDir), { recursive: true, force: true });
  return true;
}

/**
 * The pid of a live server on dataDir, if any. The pid file outlives a killed server and its pid may
 * belong to another process by now: it counts only if that process is a mariadbd on this data dir.
 */
export function runningPid(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, PID_FILE);
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  return isMariaDbOn(pid, path.resolve(dataDir)) ? pid : undefined;
}

/** Whether pid is a mariadbd (or mysqld) serving dataDir, by its command line. */
export function isMariaDbOn(pid: number, dataDir: string): boolean {
  const command = commandLine(pid);
  if (!command || !/^(\S*\/)?(mariadbd|mysqld)(\s|$)/.test(command)) return false;
  return ` ${command} `.includes(` --datadir=${dataDir} `);
}

interface HandleProps {
  readonly child: ChildProcess;
  readonly port: number;
  readonly socket: string;
  readonly dataDir: string;
  readonly tmpDir: string;
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

  const running = () => p.child.exitCode === null && p.child.signalCode === null;
  const server: MariaDbServer = {
    host: LOOPBACK,
    port: p.port,
    socket: p.socket,
    dataDir: p.dataDir,
    tmpDir: p.tmpDir,
    pid: p.child.pid ?? 0,
    serverId: p.serverId,
    logFile: p.logFile,
    get running() {
      return running();
    },
    kill(signal) {
      // ChildProcess.kill does nothing once the child has exited: a reused pid is never hit.
      if (running()) p.child.kill(signal);
    },
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
        if (running()) await terminateChild(p.child);
        detach(p.child);
        fs.rmSync(p.tmpDir, { recursive: true, force: true });
        if (p.temporary) fs.rmSync(p.dataDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  return server;
}

function socketPathFor(dataDir: string): string {
  const inDataDir = path.join(dataDir, SOCKET_FILE);
  if (inDataDir.length <= MAX_SOCKET_PATH) return inDataDir;
  // Deep data dirs (CI clones): a short, stable path derived from the data dir.
  const hash = createHash('sha1').update(dataDir).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `todomgmt-mariadb-${hash}.sock`);
}
