// Process primitives shared by the MariaDB launcher, the supervisor and the CLI: whether a pid is
// alive, whether it is still the process we mean (a pid from a file may belong to anyone by now),
// signalling one that may already be gone, stopping one by pid, and log tails for error messages.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a live process, arguments joined by spaces; undefined when it is gone. */
export function commandLine(pid: number): string | undefined {
  if (!isValidPid(pid)) return undefined;
  try {
    const text = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return text.replace(/\0+$/, '').replace(/\0/g, ' ') || undefined;
  } catch {
    if (fs.existsSync('/proc/self')) return undefined; // Linux: gone
    return fromPs(pid, 'args'); // macOS and other systems without /proc
  }
}

/**
 * When a process started (clock ticks since boot on Linux, `ps` lstart elsewhere). With the pid, it
 * names one process: a pid that was reused belongs to a process that started later.
 */
export function startTime(pid: number): string | undefined {
  if (!isValidPid(pid)) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name in field 2 may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    if (fs.existsSync('/proc/self')) return undefined;
    return fromPs(pid, 'lstart');
  }
}

function fromPs(pid: number, field: 'args' | 'lstart'): string | undefined {
  const result = spawnSync('ps', ['-o', `${field}=`, '-p', String(pid)], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() || undefined : undefined;
}

const isValidPid = (pid: number) => Number.isInteger(pid) && pid > 0;

/** What a pid file of ours records: the pid, and when that process started. */
export interface ProcessIdentity {
  readonly pid: number;
  /** undefined: not known (an old pid file); such a pid is never trusted for signalling. */
  readonly startTime?: string;
}

export function identityOf(pid: number = process.pid): ProcessIdentity {
  const started = startTime(pid);
  return started === undefined ? { pid } : { pid, startTime: started };
}

/** True when the process `identity` names still runs, the same one and not a later one that got its pid. */
export function isSameProcess(identity: ProcessIdentity | undefined): boolean {
  if (!identity || !isValidPid(identity.pid) || identity.startTime === undefined) return false;
  return isAlive(identity.pid) && startTime(identity.pid) === identity.startTime;
}

/** A pid file's content as an identity: `{ pid, startTime }`, or a bare pid (identity unknown). */
export function parseIdentity(value: unknown): ProcessIdentity | undefined {
  if (typeof value === 'number' && isValidPid(value)) return { pid: value };
  if (!value || typeof value !== 'object') return undefined;
  const { pid, startTime: started } = value as { pid?: unknown; startTime?: unknown };
  if (typeof pid !== 'number' || !isValidPid(pid)) return undefined;
  return typeof started === 'string' ? { pid, startTime: started } : { pid };
}

/** process.kill for a process that may have exited meanwhile. */
export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL when it is still alive after timeoutMs. Only for a pid just checked to be ours. */
export async function terminatePid(pid: number, timeoutMs: number): Promise<void> {
  const started = startTime(pid);
  const same = () => isAlive(pid) && startTime(pid) === started;
  signalQuietly(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (same()) {
    if (Date.now() > deadline) {
      signalQuietly(pid, 'SIGKILL');
      await sleep(100);
      return;
    }
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function tail(text: string, lines = 20): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** The last lines of a log file, from byte `offset` on; a placeholder when it cannot be read. */
export function tailOfFile(file: string, lines = 20, offset = 0): string {
  try {
    return tail(fs.readFileSync(file, 'utf8').slice(offset), lines);
  } catch {
    return '(no log)';
  }
}

/** Every live process (not a zombie, not this one) whose command line contains `needle`. */
export function processesMentioning(needle: string): Array<{ readonly pid: number; readonly commandLine: string }> {
  let pids: number[];
  try {
    pids = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map(Number);
  } catch {
    return []; // no /proc: the pid files are all there is to go on
  }
  const found: Array<{ pid: number; commandLine: string }> = [];
  for (const pid of pids) {
    if (pid === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
      const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (cmdline.includes(needle) && state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z') {
        found.push({ pid, commandLine: cmdline });
      }
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
