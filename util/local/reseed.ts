// Rebuilds a former primary that diverged (it holds writes the new primary never received, lost by an
// unplanned failover) as a copy of the new primary, the way Aurora rebuilds an old primary as a
// secondary. Its own data is dumped first, so the lost writes can be inspected and re-applied by hand.
// The copy also takes over the primary's GTID history (gtid_binlog_state): divergence is judged by
// comparing histories, and a copy that started from an empty one looked DIVERGED at the next idle
// switchover and was rebuilt again, from a dump, for nothing.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rows, withAdmin } from './admin-connection';
import { withGtidLast } from './gtid';
import { replicateFrom } from './replication-steps';
import type { LocalSecrets } from './secrets';

export interface ReseedOptions {
  readonly database: string;
  readonly secrets: LocalSecrets;
  readonly stalePort: number;
  readonly primaryPort: number;
  /** Where the dump of the diverged server goes. */
  readonly backupDir: string;
}

/** Returns the path of the dump holding the diverged server's data as it was. */
export async function reseedFromPrimary(o: ReseedOptions): Promise<string> {
  fs.mkdirSync(o.backupDir, { recursive: true, mode: 0o700 });
  const backup = path.join(o.backupDir, `diverged-${new Date().toISOString().replace(/[:.]/g, '-')}.sql`);
  fs.writeFileSync(backup, await dump(o, o.stalePort, false), { mode: 0o600 });

  await withAdmin({ name: 'diverged database', port: o.stalePort }, o.secrets, async (stale) => {
    await stale.query('SET GLOBAL read_only = 1');
    await stale.query('STOP SLAVE');
    await stale.query('RESET SLAVE ALL');
    // Forget the diverged history: its GTIDs would stop replication in strict mode.
    await stale.query('RESET MASTER');
    // The primary's history, read before its dump's snapshot: only the primary writes meanwhile, and
    // its newest GTID is the dump's position, put in below. Read after, it could name writes the
    // dump lacks, which then would never replicate.
    const history = await withAdmin({ name: 'primary database', port: o.primaryPort }, o.secrets, async (primary) => {
      const [row] = await rows<{ bs: string | null }>(primary, 'SELECT @@GLOBAL.gtid_binlog_state AS bs');
      return row.bs ?? '';
    });
    const copy = await dump(o, o.primaryPort, true);
    const gtid = /gtid_slave_pos\s*=\s*'([^']*)'/i.exec(copy)?.[1];
    if (gtid === undefined) throw new Error('the primary dump carries no GTID position (mariadb-dump --gtid)');
    await load(o, copy);
    // Allowed while the binlog is empty (the load is not logged): the copy's history is the primary's.
    await stale.query('SET GLOBAL gtid_binlog_state = ?', [withGtidLast(history, gtid)]);
    await stale.query('SET GLOBAL gtid_slave_pos = ?', [gtid]);
    await replicateFrom(stale, o.primaryPort, o.secrets);
  });
  return backup;
}

function dump(o: ReseedOptions, port: number, withGtid: boolean): Promise<string> {
  const args = [
    ...client(o, port),
    '--single-transaction',
    '--add-drop-database',
    '--routines',
    ...(withGtid ? ['--gtid', '--master-data=2'] : []),
    '--databases',
    o.database,
  ];
  return run('mariadb-dump', args, o.secrets.adminPassword);
}

function load(o: ReseedOptions, sql: string): Promise<string> {
  // The copy must not enter the stale server's binlog: it would get that server's GTIDs.
  return run('mariadb', [...client(o, o.stalePort), '--init-command=SET SESSION sql_log_bin=0'], o.secrets.adminPassword, sql);
}

const client = (o: ReseedOptions, p: number) => ['--protocol=TCP', '-h127.0.0.1', `-P${p}`, `-u${o.secrets.adminUser}`];

function run(command: string, args: string[], password: string, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // MYSQL_PWD keeps the password out of `ps`.
    const child = spawn(command, args, { env: { ...process.env, MYSQL_PWD: password }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', (e) => reject(new Error(`${command}: ${e.message} (is the MariaDB client installed?)`)));
    child.once('exit', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString('utf8'))
        : reject(new Error(`${command} failed (exit ${code}): ${Buffer.concat(err).toString('utf8').trim()}`)),
    );
    child.stdin.end(input ?? '');
  });
}
