// MariaDB GTID replication between the two local "regions": the local twin of what Aurora Global
// Database does for the AWS deployment. Every function takes an admin connection to one server and
// does one step that can be checked and repeated.
import * as mysql from 'mysql2/promise';
import type { LocalSecrets } from './secrets';

// mysql2 connections fit; so does an adapter over the launcher's root query.
export interface Sql {
  query(sql: string, values?: any): Promise<[any, any]>;
}

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

export function connectAdmin(port: number, secrets: LocalSecrets, timeoutMs = 2000): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: '127.0.0.1',
    port,
    user: secrets.adminUser,
    password: secrets.adminPassword,
    connectTimeout: timeoutMs,
    supportBigNumbers: true,
  });
}

async function rows<T>(sql: Sql, text: string, params?: unknown[]): Promise<T[]> {
  const [result] = await sql.query(text, params);
  return result as T[];
}

/**
 * Users of one server, created with binary logging off so each server keeps its own and nothing
 * about users travels through replication: the app user (DML + DDL on the app database only, so
 * read_only binds it), the replication user, and the admin user the supervisor and failover use.
 */
export async function ensureUsers(root: Sql, secrets: LocalSecrets, database: string): Promise<void> {
  await root.query('SET SESSION sql_log_bin = 0');
  try {
    await root.query('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [database]);
    const users: [string, string, string][] = [
      [
        secrets.appUser,
        secrets.appPassword,
        `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES ON ${mysql.escapeId(database)}.* TO ?@?`,
      ],
      [
        secrets.replicationUser,
        secrets.replicationPassword,
        'GRANT REPLICATION SLAVE, REPLICATION SLAVE ADMIN, BINLOG MONITOR ON *.* TO ?@?',
      ],
      [secrets.adminUser, secrets.adminPassword, 'GRANT ALL PRIVILEGES ON *.* TO ?@?'],
    ];
    for (const [user, password, grant] of users) {
      for (const host of ['127.0.0.1', 'localhost']) {
        await root.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, host, password]);
        await root.query('ALTER USER ?@? IDENTIFIED BY ?', [user, host, password]);
        await root.query(grant, [user, host]);
      }
    }
  } finally {
    await root.query('SET SESSION sql_log_bin = 1');
  }
}

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

export async function serverState(sql: Sql): Promise<ServerState> {
  const [vars] = await rows<Record<string, string | number>>(
    sql,
    'SELECT VERSION() AS v, @@GLOBAL.read_only AS ro, @@GLOBAL.gtid_binlog_pos AS bp, @@GLOBAL.gtid_binlog_state AS bs, @@GLOBAL.gtid_slave_pos AS sp, @@GLOBAL.gtid_current_pos AS cp',
  );
  const [status] = await rows<Record<string, unknown>>(sql, 'SHOW SLAVE STATUS');
  return {
    version: String(vars.v),
    readOnly: Number(vars.ro) === 1,
    gtidBinlogPos: String(vars.bp ?? ''),
    gtidBinlogState: String(vars.bs ?? ''),
    gtidSlavePos: String(vars.sp ?? ''),
    gtidCurrentPos: String(vars.cp ?? ''),
    replica: status
      ? {
          ioRunning: String(status.Slave_IO_Running),
          sqlRunning: String(status.Slave_SQL_Running),
          masterPort: Number(status.Master_Port),
          lastIoErrno: Number(status.Last_IO_Errno),
          lastIoError: String(status.Last_IO_Error ?? ''),
          lastSqlErrno: Number(status.Last_SQL_Errno),
          lastSqlError: String(status.Last_SQL_Error ?? ''),
          gtidIoPos: String(status.Gtid_IO_Pos ?? ''),
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
  const [row] = await rows<{ pos: string }>(sql, 'SELECT @@GLOBAL.gtid_binlog_pos AS pos');
  return String(row.pos ?? '');
}

export async function killSessionsOf(sql: Sql, user: string): Promise<number> {
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
export async function promote(sql: Sql): Promise<void> {
  await sql.query('STOP SLAVE');
  await sql.query('RESET SLAVE ALL');
  await sql.query('SET GLOBAL read_only = 0');
}

export interface PrimaryAddress {
  readonly port: number;
}

/**
 * Checks that everything `candidate` has written is part of `primary`'s history (per domain and
 * server id in gtid_binlog_state). Otherwise the candidate holds transactions the primary never got:
 * those were lost by an unplanned failover and GTID strict mode would stop replication.
 */
export async function findDivergence(candidate: Sql, primary: Sql): Promise<string[]> {
  const mine = parseGtidList((await serverState(candidate)).gtidBinlogState);
  const theirs = parseGtidList((await serverState(primary)).gtidBinlogState);
  const missing: string[] = [];
  for (const [key, seq] of mine) {
    const seen = theirs.get(key);
    if (seen === undefined || seen < seq) missing.push(`${key}-${seq} (primary has ${seen === undefined ? 'none' : `${key}-${seen}`})`);
  }
  return missing;
}

function parseGtidList(list: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const item of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(item);
    if (m) out.set(`${m[1]}-${m[2]}`, BigInt(m[3]));
  }
  return out;
}

/**
 * Makes `replica` a read-only replica of the primary on `primary.port`, starting from everything it
 * already has (its own binlog included, which matters for a former primary). Waits until the IO
 * thread is connected; a GTID error from the primary means divergence.
 */
export async function replicateFrom(replica: Sql, primary: PrimaryAddress, secrets: LocalSecrets, timeoutMs = 10_000): Promise<void> {
  await replica.query('SET GLOBAL read_only = 1');
  await replica.query('STOP SLAVE');
  await replica.query('SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_current_pos');
  await replica.query(
    'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1',
    ['127.0.0.1', primary.port, secrets.replicationUser, secrets.replicationPassword],
  );
  // Parallel apply keeps a busy writer from outrunning the replica (see FACTS.md).
  await replica.query('SET GLOBAL slave_parallel_threads = 4');
  await replica.query("SET GLOBAL slave_parallel_mode = 'optimistic'");
  await replica.query('START SLAVE');
  await waitConnected(replica, timeoutMs);
}

async function waitConnected(replica: Sql, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await serverState(replica)).replica;
    if (!status) throw new ReplicationError('replication is not configured');
    if (status.lastIoErrno === 1236) {
      throw new DivergenceError([], `the primary cannot serve this replica's GTID position: ${status.lastIoError}`);
    }
    if (status.lastSqlErrno !== 0) throw new ReplicationError(`replica SQL thread stopped: ${status.lastSqlError}`);
    if (status.ioRunning === 'Yes' && status.sqlRunning === 'Yes') {
      // A GTID error (1236) arrives just after the connection: look once more before trusting it.
      await new Promise((r) => setTimeout(r, 250));
      const again = (await serverState(replica)).replica;
      if (again?.lastIoErrno === 1236)
        throw new DivergenceError([], `the primary cannot serve this replica's GTID position: ${again.lastIoError}`);
      return;
    }
    if (Date.now() > deadline) {
      throw new ReplicationError(
        `replica not connected after ${timeoutMs} ms (IO ${status.ioRunning}: ${status.lastIoError || 'no error'})`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
