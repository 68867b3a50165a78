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
import { isAlive, terminatePid } from './process-util';

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
  await terminatePid(pid, timeoutMs);
  return true;
}

/** The pid of a live server on dataDir, if any. */
export function runningPid(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, PID_FILE);
  if (!fs.existsSync(pidFile)) return undefined;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
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
        detach(p.child);
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
