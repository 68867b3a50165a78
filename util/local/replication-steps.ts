// The steps of MariaDB GTID replication between the two local "regions", the local twin of what Aurora
// Global Database does on AWS. Each takes an admin connection to one server and does one thing that can
// be checked and repeated. The replica manager (replica-manager.ts) strings them together; inspect.ts only reads.
import { rows, type Sql } from './admin-connection';
import { gtidsMissingFrom } from './gtid';
import { sleep } from './process-util';
import type { LocalSecrets } from './secrets';

export class ReplicationError extends Error {}

/** The old primary holds transactions the new primary never received; plain rejoining would fail. */
export class DivergenceError extends ReplicationError {
  constructor(
    readonly missing: readonly string[],
    message: string,
  ) {
    super(message);
    this.name = 'DivergenceError';
  }
}

/** Binlog position the primary cannot serve (the replica is ahead of it, or the history differs). */
const ER_MASTER_FATAL_ERROR_READING_BINLOG = 1236;

export interface ReplicaStatus {
  readonly ioRunning: string;
  readonly sqlRunning: string;
  readonly masterPort: number;
  readonly lastIoErrno: number;
  readonly lastIoError: string;
  readonly lastSqlErrno: number;
  readonly lastSqlError: string;
  readonly gtidIoPos: string;
  readonly secondsBehind: number | null;
}

export interface ServerState {
  readonly version: string;
  readonly readOnly: boolean;
  readonly gtidBinlogPos: string;
  readonly gtidBinlogState: string;
  readonly gtidSlavePos: string;
  readonly gtidCurrentPos: string;
  /** undefined: not configured as a replica. */
  readonly replica?: ReplicaStatus;
}

interface GlobalsRow {
  readonly v: string;
  readonly ro: number | string;
  readonly bp: string | null;
  readonly bs: string | null;
  readonly sp: string | null;
  readonly cp: string | null;
}

/** The columns of SHOW SLAVE STATUS that the rehearsal reads. */
interface SlaveStatusRow {
  readonly Slave_IO_Running: string;
  readonly Slave_SQL_Running: string;
  readonly Master_Port: number | string;
  readonly Last_IO_Errno: number | string;
  readonly Last_IO_Error: string | null;
  readonly Last_SQL_Errno: number | string;
  readonly Last_SQL_Error: string | null;
  readonly Gtid_IO_Pos: string | null;
  readonly Seconds_Behind_Master: number | string | null;
}

export async function serverState(sql: Sql): Promise<ServerState> {
  const [vars] = await rows<GlobalsRow>(
    sql,
    'SELECT VERSION() AS v, @@GLOBAL.read_only AS ro, @@GLOBAL.gtid_binlog_pos AS bp, @@GLOBAL.gtid_binlog_state AS bs, ' +
      '@@GLOBAL.gtid_slave_pos AS sp, @@GLOBAL.gtid_current_pos AS cp',
  );
  const [status] = await rows<SlaveStatusRow>(sql, 'SHOW SLAVE STATUS');
  return {
    version: vars.v,
    readOnly: Number(vars.ro) === 1,
    gtidBinlogPos: vars.bp ?? '',
    gtidBinlogState: vars.bs ?? '',
    gtidSlavePos: vars.sp ?? '',
    gtidCurrentPos: vars.cp ?? '',
    replica: status
      ? {
          ioRunning: status.Slave_IO_Running,
          sqlRunning: status.Slave_SQL_Running,
          masterPort: Number(status.Master_Port),
          lastIoErrno: Number(status.Last_IO_Errno),
          lastIoError: status.Last_IO_Error ?? '',
          lastSqlErrno: Number(status.Last_SQL_Errno),
          lastSqlError: status.Last_SQL_Error ?? '',
          gtidIoPos: status.Gtid_IO_Pos ?? '',
          secondsBehind: status.Seconds_Behind_Master === null ? null : Number(status.Seconds_Behind_Master),
        }
      : undefined,
  };
}

/**
 * Stops writes on a primary without losing an acknowledged one: read_only=1 waits for running
 * write transactions to commit (bounded by lock_wait_timeout); if one does not, the app's sessions
 * are killed (their uncommitted work was never acknowledged) and the fence is retried. Returns the
 * GTID position that now contains every committed write.
 */
export async function fence(sql: Sql, appUser: string, boundSeconds = 5): Promise<string> {
  await sql.query('SET SESSION lock_wait_timeout = ?', [boundSeconds]);
  try {
    await sql.query('SET GLOBAL read_only = 1');
  } catch {
    await killSessionsOf(sql, appUser);
    await sql.query('SET GLOBAL read_only = 1');
  }
  // Sessions that were idle keep their connection; drop them so nothing straddles the switch.
  await killSessionsOf(sql, appUser);
  const [row] = await rows<{ pos: string | null }>(sql, 'SELECT @@GLOBAL.gtid_binlog_pos AS pos');
  return row.pos ?? '';
}

async function killSessionsOf(sql: Sql, user: string): Promise<number> {
  const sessions = await rows<{ ID: number }>(
    sql,
    'SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()',
    [user],
  );
  for (const { ID } of sessions) {
    await sql.query('KILL CONNECTION ?', [ID]).catch(() => undefined); // already gone
  }
  return sessions.length;
}

/** Waits until the replica has applied `gtidPos` (MASTER_GTID_WAIT), at most timeoutSeconds. */
export async function waitForGtid(replica: Sql, gtidPos: string, timeoutSeconds: number): Promise<void> {
  if (!gtidPos) return;
  const [row] = await rows<{ r: number | null }>(replica, 'SELECT MASTER_GTID_WAIT(?, ?) AS r', [gtidPos, timeoutSeconds]);
  if (Number(row.r) === 0) return;
  const state = await serverState(replica);
  const why = state.replica?.lastSqlError || state.replica?.lastIoError || `applied up to ${state.gtidSlavePos || 'nothing'}`;
  throw new ReplicationError(`replica did not apply ${gtidPos} within ${timeoutSeconds} s (${why})`);
}

/**
 * For an unplanned failover: stop pulling from the (dead) primary and apply everything already
 * received, so that no transaction that reached this region is lost.
 */
export async function drainRelayLog(replica: Sql, timeoutSeconds: number): Promise<string> {
  const state = await serverState(replica);
  if (!state.replica) return state.gtidCurrentPos;
  await replica.query('STOP SLAVE IO_THREAD');
  const received = (await serverState(replica)).replica?.gtidIoPos ?? '';
  if (received && state.replica.sqlRunning === 'Yes') await waitForGtid(replica, received, timeoutSeconds);
  return received;
}

/** Makes a server a standalone writer: no replication configured, writes allowed. */
export async function makeWriter(sql: Sql): Promise<void> {
  await sql.query('STOP SLAVE');
  await sql.query('RESET SLAVE ALL');
  await sql.query('SET GLOBAL read_only = 0');
}

/**
 * Checks that everything `candidate` has written is part of `primary`'s history (per domain and
 * server id in gtid_binlog_state). Otherwise the candidate holds transactions the primary never got:
 * those were lost by an unplanned failover and GTID strict mode would stop replication.
 */
export async function findDivergence(candidate: Sql, primary: Sql): Promise<string[]> {
  return gtidsMissingFrom((await serverState(candidate)).gtidBinlogState, (await serverState(primary)).gtidBinlogState);
}

/**
 * Makes `replica` a read-only replica of the primary on `primaryPort`, starting from everything it
 * already has (its own binlog included, which matters for a former primary). Waits until the IO
 * thread is connected; a GTID error from the primary means divergence.
 */
export async function replicateFrom(replica: Sql, primaryPort: number, secrets: LocalSecrets, timeoutMs = 10_000): Promise<void> {
  await replica.query('SET GLOBAL read_only = 1');
  await replica.query('STOP SLAVE');
  await replica.query('SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_current_pos');
  await replica.query(
    'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, ' +
      'MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1',
    ['127.0.0.1', primaryPort, secrets.replicationUser, secrets.replicationPassword],
  );
  // Parallel apply keeps a busy writer from outrunning the replica (see FACTS.md).
  await replica.query('SET GLOBAL slave_parallel_threads = 4');
  await replica.query("SET GLOBAL slave_parallel_mode = 'optimistic'");
  await replica.query('START SLAVE');
  await waitConnected(replica, timeoutMs);
}

async function waitConnected(replica: Sql, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const diverged = (status: ReplicaStatus) =>
    new DivergenceError([], `the primary cannot serve this replica's GTID position: ${status.lastIoError}`);
  for (;;) {
    const status = (await serverState(replica)).replica;
    if (!status) throw new ReplicationError('replication is not configured');
    if (status.lastIoErrno === ER_MASTER_FATAL_ERROR_READING_BINLOG) throw diverged(status);
    if (status.lastSqlErrno !== 0) throw new ReplicationError(`replica SQL thread stopped: ${status.lastSqlError}`);
    if (status.ioRunning === 'Yes' && status.sqlRunning === 'Yes') {
      // A GTID error arrives just after the connection: look once more before trusting it.
      await sleep(250);
      const again = (await serverState(replica)).replica;
      if (again?.lastIoErrno === ER_MASTER_FATAL_ERROR_READING_BINLOG) throw diverged(again);
      return;
    }
    if (Date.now() > deadline) {
      throw new ReplicationError(
        `replica not connected after ${timeoutMs} ms (IO ${status.ioRunning}: ${status.lastIoError || 'no error'})`,
      );
    }
    await sleep(50);
  }
}
