// The mariadbd process under the launcher (mariadb.ts): find the binaries (or install Debian's
// mariadb-server when we are root with apt-get), initialize a data dir, spawn mariadbd with the flags
// replication needs, wait until it accepts connections, and make sure an attached server dies with us.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import { LOOPBACK } from './ports';
import { sleep, tail, tailOfFile } from './process-util';

export class MariaDbError extends Error {}
export class PortInUseError extends MariaDbError {}

export const PID_FILE = 'mariadb.pid';
const INSTALL_HINT = 'install it with: sudo apt-get update && sudo apt-get install -y mariadb-server';

export interface Binaries {
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

/**
 * Initializes a data dir (mariadb-install-db, which runs mariadbd --bootstrap). Async, so the two
 * regions initialize side by side. `tmpDir` is this instance's own: the bootstrap's temporary tables
 * are named after its pid, so servers initializing at once in separate pid namespaces (containers
 * sharing /tmp) collide on the same file there ("Unknown table 'mysql.tmp_user_sys'"). It goes in as
 * TMPDIR, which mariadbd takes as its tmpdir: the script would split a --tmpdir path with spaces.
 */
export async function initializeDataDir(installDb: string, dataDir: string, tmpDir: string, log: (message: string) => void): Promise<void> {
  log(`initializing ${dataDir}`);
  const args = ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=socket', '--skip-test-db'];
  if (process.getuid?.() === 0) args.push('--user=root');
  const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(installDb, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmpDir } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: error.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
  if (result.code !== 0) {
    fs.rmSync(path.join(dataDir, 'mysql'), { recursive: true, force: true });
    throw new MariaDbError(`mariadb-install-db failed (exit ${result.code}): ${tail(result.output)}`);
  }
}

export interface LaunchOptions {
  readonly dataDir: string;
  /** This instance's own tmpdir (see initializeDataDir). */
  readonly tmpDir: string;
  readonly socket: string;
  readonly logFile: string;
  readonly port: number;
  readonly serverId: number;
  readonly readOnly?: boolean;
  readonly bufferPoolMb?: number;
  readonly extraArgs?: readonly string[];
  readonly startTimeoutMs?: number;
  /** Outlives this process; otherwise it is killed (and temporaryDirs removed) when this process exits. */
  readonly detached?: boolean;
  readonly temporaryDirs?: readonly string[];
}

/** Spawns mariadbd and resolves once it accepts connections on its socket. */
export async function launch(server: string, o: LaunchOptions): Promise<ChildProcess> {
  const logStart = fs.existsSync(o.logFile) ? fs.statSync(o.logFile).size : 0;
  const args = [
    '--no-defaults',
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    `--datadir=${o.dataDir}`,
    `--tmpdir=${o.tmpDir}`,
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
  else track(child, o.temporaryDirs ?? []);

  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (code ${code}, signal ${signal})`));
  child.once('error', (error) => (exited = `could not be started: ${error.message}`));

  const timeoutMs = o.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (exited) {
      const logSince = readLogSince(o.logFile, logStart);
      attached.delete(child);
      if (/Address already in use|Bind on TCP\/IP port/i.test(logSince)) {
        throw new PortInUseError(`port ${o.port} is in use`);
      }
      throw new MariaDbError(`mariadbd ${exited} while starting on ${o.dataDir}; log tail:\n${tail(logSince)}`);
    }
    if (await canConnect(o.socket)) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      attached.delete(child);
      throw new MariaDbError(
        `mariadbd did not become ready within ${timeoutMs} ms on ${o.dataDir}; log tail:\n${tailOfFile(o.logFile, 20, logStart)}`,
      );
    }
    await sleep(50);
  }
}

function readLogSince(logFile: string, offset: number): string {
  try {
    return fs.readFileSync(logFile, 'utf8').slice(offset);
  } catch {
    return '(no log)';
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

/** SIGTERM (an orderly shutdown), SIGKILL after timeoutMs. */
export function terminateChild(child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// Servers this process started and has to kill on exit, with the temp dirs to remove.
const attached = new Map<ChildProcess, readonly string[]>();
let exitHookInstalled = false;

/** Forgets an attached server that was stopped on purpose. */
export function detach(child: ChildProcess): void {
  attached.delete(child);
}

function track(child: ChildProcess, temporaryDirs: readonly string[]): void {
  attached.set(child, temporaryDirs);
  child.once('exit', () => attached.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a SIGKILL is all we can do there. Signals get the same,
  // then the default behaviour (exit) if nobody else handles them.
  const killAll = () => {
    for (const [c, dirs] of attached) {
      c.kill('SIGKILL');
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
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
