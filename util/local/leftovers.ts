// Processes of a rehearsal that no supervisor owns any more (it was killed, or a start failed half-way):
// its databases and API children. `status` names them and `stop` stops them. A process counts only by
// its command line (a mariadbd on one of this state dir's data dirs, a node running this state dir's
// API bundle), never because a pid file says so.
import { REGION_ROLES, type RegionRole } from '#names';
import { isMariaDbOn, runningPid } from './mariadb';
import { processesMentioning } from './process-util';
import type { StatePaths } from './state';

export interface Leftover {
  readonly kind: 'db' | 'api';
  readonly role?: RegionRole;
  readonly pid: number;
  /** For humans: "the MariaDB of pri on …". */
  readonly what: string;
}

export function findLeftovers(paths: StatePaths): Leftover[] {
  const found = new Map<number, Leftover>();
  for (const role of REGION_ROLES) {
    const dataDir = paths.dbDataDir(role);
    const pid = runningPid(dataDir);
    if (pid) found.set(pid, { kind: 'db', role, pid, what: `the MariaDB of ${role} on ${dataDir}` });
  }
  // Without a pid file (removed, or the server died before writing it) the command line still tells.
  const bundle = paths.apiBundle;
  for (const { pid, commandLine } of processesMentioning(paths.root)) {
    if (found.has(pid)) continue;
    const role = REGION_ROLES.find((r) => isMariaDbOn(pid, paths.dbDataDir(r)));
    if (role) found.set(pid, { kind: 'db', role, pid, what: `the MariaDB of ${role} on ${paths.dbDataDir(role)}` });
    else if (/(^|\/)node(\s|$)/.test(commandLine.split(' ')[0]) && ` ${commandLine} `.includes(` ${bundle} `)) {
      found.set(pid, { kind: 'api', pid, what: `a regional API (${bundle})` });
    }
  }
  return [...found.values()];
}
