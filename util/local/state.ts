// Layout of the rehearsal's state directory (`.local/` by default) and the small file primitives
// every process that touches it uses: atomic private writes and a cross-process lock.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RegionRole } from '#names';
import { isAlive } from './process-util';

export interface StatePaths {
  readonly root: string;
  /** Generated once: OAuth client, database passwords (0600). */
  readonly secrets: string;
  /** RS256 signing key of the token endpoint, as a private JWK (0600). */
  readonly signingKey: string;
  /** The public contract for users and scripts (holds the client secret: 0600). */
  readonly endpoints: string;
  /** Ports, pids and URLs of the running rehearsal, for the CLI, the failover driver and status. */
  readonly runtime: string;
  /** Which region is the writer, and since which generation. Survives restarts. */
  readonly topology: string;
  /** The edge's active origin `{ origin, version }`, changed only by compare-and-swap. */
  readonly edge: string;
  /** Held (as `operation.lock`) while a region's role changes: failover steps, revive, reconcile. */
  readonly operation: string;
  readonly supervisorPid: string;
  readonly supervisorLog: string;
  readonly controlSocket: string;
  /** esbuild output for the regional API child processes. */
  readonly buildDir: string;
  readonly regionDir: (role: RegionRole) => string;
  readonly dbDataDir: (role: RegionRole) => string;
  readonly apiLog: (role: RegionRole) => string;
}

export function statePaths(root: string): StatePaths {
  const r = path.resolve(root);
  return {
    root: r,
    secrets: path.join(r, 'secrets.json'),
    signingKey: path.join(r, 'token-signing-key.json'),
    endpoints: path.join(r, 'endpoints.json'),
    runtime: path.join(r, 'runtime.json'),
    topology: path.join(r, 'topology.json'),
    edge: path.join(r, 'edge.json'),
    operation: path.join(r, 'operation'),
    supervisorPid: path.join(r, 'supervisor.pid'),
    supervisorLog: path.join(r, 'supervisor.log'),
    controlSocket: path.join(r, 'control.sock'),
    buildDir: path.join(r, 'build'),
    regionDir: (role) => path.join(r, role),
    dbDataDir: (role) => path.join(r, role, 'db'),
    apiLog: (role) => path.join(r, role, 'api.log'),
  };
}

/** Write to a temp file and rename: readers never see half a file. Private by default. */
export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

export function writeJson(file: string, value: unknown, mode = 0o600): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, mode);
}

export function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${(error as Error).message}); fix or delete it`, { cause: error });
  }
}

/** Someone else held the lock for longer than the caller would wait. */
export class LockHeldError extends Error {
  constructor(
    readonly lock: string,
    readonly holder: number,
    timeoutMs: number,
  ) {
    super(`${lock} is held by pid ${holder || '?'} for more than ${timeoutMs} ms`);
    this.name = 'LockHeldError';
  }
}

/**
 * Runs fn while holding `<file>.lock` (O_EXCL create). A lock left by a dead process is taken over.
 * Used for read-modify-write of topology.json and edge.json across the supervisor and the failover CLI.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(path.dirname(lock), { recursive: true, mode: 0o700 });
      const fd = fs.openSync(lock, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: number;
      try {
        holder = Number(fs.readFileSync(lock, 'utf8').trim());
      } catch {
        continue; // released meanwhile
      }
      if (Number.isInteger(holder) && holder > 0 && !isAlive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new LockHeldError(lock, holder, timeoutMs);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
