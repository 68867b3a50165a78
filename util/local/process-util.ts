// Process primitives shared by the MariaDB launcher, the supervisor and the CLI: whether a pid is
// alive, signalling one that may already be gone, stopping one by pid, and log tails for error messages.
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

/** process.kill for a process that may have exited meanwhile. */
export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL when it is still alive after timeoutMs. */
export async function terminatePid(pid: number, timeoutMs: number): Promise<void> {
  signalQuietly(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
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
