// Layout of the rehearsal's state directory (`.local/` by default), how it is created so that git never
// picks it up, and the small file primitives every process that touches it uses: atomic private
// writes, a cross-process lock, and pid files that are checked before anyone trusts them.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RegionRole } from '#names';
import { commandLine, identityOf, isAlive, isSameProcess, parseIdentity, type ProcessIdentity } from './process-util';

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
  /** The KeyValueStore stand-in the edge reads per request (edge-kvs.ts): the key over edge.json. */
  readonly kvs: string;
  /** COGNITO_REPLICA=true: the secd token endpoint's ACTIVE/INACTIVE status (token-replica.ts). */
  readonly tokenReplica: string;
  /** Held (as `operation.lock`) while a region's role changes: failover steps, revive, reconcile. */
  readonly operation: string;
  readonly supervisorPid: string;
  readonly supervisorLog: string;
  readonly controlSocket: string;
  /** esbuild output for the regional API child processes. */
  readonly buildDir: string;
  /** The regional API bundle in buildDir: its path on a command line marks a process as ours. */
  readonly apiBundle: string;
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
    kvs: path.join(r, 'edge-kvs.json'),
    tokenReplica: path.join(r, 'token-replica.json'),
    operation: path.join(r, 'operation'),
    supervisorPid: path.join(r, 'supervisor.pid'),
    supervisorLog: path.join(r, 'supervisor.log'),
    controlSocket: path.join(r, 'control.sock'),
    buildDir: path.join(r, 'build'),
    apiBundle: path.join(r, 'build', 'regional-api.js'),
    regionDir: (role) => path.join(r, role),
    dbDataDir: (role) => path.join(r, role, 'db'),
    apiLog: (role) => path.join(r, role, 'api.log'),
  };
}

/** Files only a rehearsal state dir holds: `stop` removes a dir only when it finds one of them. */
export const STATE_MARKERS: readonly string[] = ['secrets.json', 'token-signing-key.json', 'topology.json', 'edge.json', 'supervisor.pid'];

/** The state dir's own .gitignore: everything in it stays out of git, wherever LOCAL_STATE_DIR points. */
export const STATE_GITIGNORE = '# Written by the ToDoMgmt local rehearsal: secrets, keys and databases, never to be committed.\n*\n';

/** The state dir cannot be used; the message names LOCAL_STATE_DIR and the fix. */
export class StateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateDirError';
  }
}

/** A rehearsal state dir: it holds one of our files, or the .gitignore only we write. */
export function looksLikeStateDir(root: string): boolean {
  let entries: string[];
  try {
    entries = fs.readdirSync(root);
  } catch {
    return false;
  }
  if (entries.some((e) => STATE_MARKERS.includes(e))) return true;
  try {
    return fs.readFileSync(path.join(root, '.gitignore'), 'utf8') === STATE_GITIGNORE;
  } catch {
    return false;
  }
}

/**
 * Creates the state dir (0700) with its own .gitignore (`*`), so its client secret, database
 * passwords, signing key and databases can never be committed or pushed, even when LOCAL_STATE_DIR
 * points inside the repository. Refuses a non-empty directory that is not a state dir (its files
 * would be mixed with ours, and `stop` removes the whole dir), and one whose files git would still
 * track, as git itself says. Outside a git checkout, or without git, there is nothing to check.
 */
export function prepareStateDir(root: string): void {
  const dir = path.resolve(root);
  const setting = `LOCAL_STATE_DIR=${dir}`;
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new StateDirError(`${setting} is not a directory; point LOCAL_STATE_DIR at a new one`);
    if (fs.readdirSync(dir).length > 0 && !looksLikeStateDir(dir)) {
      throw new StateDirError(
        `${setting} is a directory with other files in it, not a rehearsal state dir: the rehearsal keeps ` +
          'secrets there and `npm run local -- stop` removes the whole dir. Point LOCAL_STATE_DIR at a new or empty directory.',
      );
    }
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const ignore = path.join(dir, '.gitignore');
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, STATE_GITIGNORE, { mode: 0o600 });
  const tracked = gitWouldTrack(dir);
  if (tracked) {
    throw new StateDirError(
      `${setting} is inside the git work tree ${tracked.topLevel} and git ${tracked.why}: the client secret, database ` +
        'passwords, signing key and databases would be committed and pushed. Set LOCAL_STATE_DIR to a path outside ' +
        `the repository (the default, .local, is ignored), or untrack it: git rm -r --cached '${dir}'`,
    );
  }
}

/** Asks git whether a file of ours in `dir` would be committed; undefined when not (or not a git checkout). */
function gitWouldTrack(dir: string): { readonly topLevel: string; readonly why: string } | undefined {
  const git = (...args: string[]) => spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const top = git('rev-parse', '--show-toplevel');
  if (top.error || top.status !== 0) return undefined; // no git, or not inside a work tree
  const topLevel = top.stdout.trim();
  const files = git('ls-files', '--', '.');
  if (files.status === 0 && files.stdout.trim()) {
    return { topLevel, why: `already tracks ${files.stdout.trim().split('\n').length} file(s) in it` };
  }
  // Exit 0: ignored; 1: git would add it. A probe name, so the answer does not depend on what exists yet.
  const probe = git('check-ignore', '-q', '--', path.basename(STATE_MARKERS[0]));
  return probe.status === 1 ? { topLevel, why: 'would track the files in it' } : undefined;
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
      fs.writeSync(fd, JSON.stringify(identityOf()));
      fs.closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: ProcessIdentity | undefined;
      try {
        holder = parseLockHolder(fs.readFileSync(lock, 'utf8'));
      } catch {
        continue; // released meanwhile
      }
      // Left by a process that is gone, or whose pid another process has by now: taken over.
      if (holder && !(holder.startTime === undefined ? isAlive(holder.pid) : isSameProcess(holder))) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new LockHeldError(lock, holder?.pid ?? 0, timeoutMs);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** A lock file holds the holder's identity (JSON) or, written by an older version, its bare pid. */
function parseLockHolder(text: string): ProcessIdentity | undefined {
  try {
    return parseIdentity(JSON.parse(text));
  } catch {
    return undefined; // being written right now: looked at again on the next pass
  }
}

/**
 * Whether the supervisor a pid file (or runtime.json) names still runs. Its pid alone proves nothing:
 * after a crash or a reboot another process may have it. With a start time (what this version writes)
 * it must be the same process; a bare pid from an older version counts only for a process running the
 * rehearsal's CLI. Nothing is ever signalled on a pid that fails this.
 */
export function isLiveSupervisor(identity: ProcessIdentity | undefined): boolean {
  if (!identity) return false;
  if (identity.startTime !== undefined) return isSameProcess(identity);
  return /\butil\/local\/cli\.ts\b/.test(commandLine(identity.pid) ?? '');
}

/** The supervisor that `supervisor.pid` names, unchecked. */
export function readSupervisorPid(file: string): ProcessIdentity | undefined {
  return parseIdentity(readJson<unknown>(file));
}
