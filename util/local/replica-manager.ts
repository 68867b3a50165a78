// The one owner of local replication: which region's database writes and which one replicates from it.
// It gives a region the role topology.json says, fences, promotes (and records the new writer), rejoins
// a former primary (rebuilding it from the writer when it diverged) and reconciles what it finds with
// topology.json. The supervisor calls it at start, on revive and every 2 s; the failover driver calls it
// for its steps. Role changes run under the state dir's operation lock, one at a time across processes.
import { otherRole, type RegionRole } from '#names';
import { withAdmin, type Sql } from './admin-connection';
import { gtidCovered } from './gtid';
import {
  DivergenceError,
  drainRelayLog,
  fence,
  findDivergence,
  makeWriter,
  ReplicationError,
  replicateFrom,
  serverState,
  waitForGtid,
  type ServerState,
} from './replication-steps';
import { reseedFromPrimary } from './reseed';
import type { LocalSecrets } from './secrets';
import { LockHeldError, withFileLock, type StatePaths } from './state';
import { readTopology, setWriter, type LocalTopology } from './topology';

export interface ReplicaRegion {
  readonly name: string;
  readonly dbPort: number;
}

export interface ReplicaManagerOptions {
  readonly paths: StatePaths;
  readonly secrets: LocalSecrets;
  /** The app database, dumped when a diverged server is rebuilt. */
  readonly database: string;
  /** Asked on every call: a region's port changes when its database restarts on port 0. */
  readonly region: (role: RegionRole) => ReplicaRegion;
  /**
   * Whether a region's database runs and may be touched (the supervisor knows: killed, stopping).
   * @default every region is up; an unreachable one fails its step with a message that names it.
   */
  readonly isUp?: (role: RegionRole) => boolean;
  /** @default silent */
  readonly log?: (line: string) => void;
  /** Told when a diverged region was rebuilt, with the dump of its former data. */
  readonly onRebuilt?: (role: RegionRole, backup: string) => void;
}

/** How a region came to replicate from the writer. */
export type RejoinOutcome =
  | { readonly kind: 'already-replicating' }
  | { readonly kind: 'replicating' }
  /** It held transactions the writer never received: dumped to `backup`, then rebuilt as a copy. */
  | { readonly kind: 'rebuilt'; readonly missing: readonly string[]; readonly backup: string };

/** Long enough for a rebuild of a diverged server (dump + load) that another role change waits behind. */
const OPERATION_LOCK_WAIT_MS = 60_000;
/** The reconciler never waits for a failover or a revive: it looks again on its next pass. */
const RECONCILE_LOCK_WAIT_MS = 200;

export class ReplicaManager {
  private readonly isUp: (role: RegionRole) => boolean;
  private readonly log: (line: string) => void;

  constructor(private readonly o: ReplicaManagerOptions) {
    this.isUp = o.isUp ?? (() => true);
    this.log = o.log ?? (() => undefined);
  }

  /** Runs a role change while holding the operation lock. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(this.o.paths.operation, fn, OPERATION_LOCK_WAIT_MS);
  }

  state(role: RegionRole): Promise<ServerState> {
    return this.withAdmin(role, serverState);
  }

  /** The topology when `role` is the recorded writer and its database is a writable standalone writer. */
  async writerTopology(role: RegionRole): Promise<LocalTopology | undefined> {
    const topology = readTopology(this.o.paths.topology);
    const state = await this.state(role);
    return topology?.writer === role && !state.readOnly && !state.replica ? topology : undefined;
  }

  /** Opens the writer for writes, or makes the other region a replica of the writer when the writer runs. */
  async configureRole(role: RegionRole): Promise<void> {
    const topology = readTopology(this.o.paths.topology);
    if (!topology) throw new Error(`${this.o.paths.topology} is missing`);
    const name = this.o.region(role).name;
    if (topology.writer === role) {
      await this.withAdmin(role, makeWriter);
      this.log(`[${name} db] writer (generation ${topology.generation})`);
      return;
    }
    if (!this.isUp(topology.writer)) {
      const writer = this.o.region(topology.writer).name;
      this.log(`[${name} db] stays read-only: the writer ${writer} is down; it rejoins when revived or after a failover`);
      return;
    }
    await this.rejoin(role);
  }

  /**
   * Stops writes on `role` without losing an acknowledged one; returns the GTID position it stopped at.
   * `boundSeconds` bounds the wait for running write transactions before their sessions are ended.
   */
  fence(role: RegionRole, boundSeconds?: number): Promise<string> {
    return this.withAdmin(role, (sql) => fence(sql, this.o.secrets.appUser, boundSeconds));
  }

  /** Gives the writes back to a fenced writer, when a move is abandoned before anything moved. */
  async unfence(role: RegionRole): Promise<void> {
    await this.withAdmin(role, (sql) => sql.query('SET GLOBAL read_only = 0'));
  }

  waitApplied(role: RegionRole, gtidPos: string, timeoutSeconds: number): Promise<void> {
    return this.withAdmin(role, (sql) => waitForGtid(sql, gtidPos, timeoutSeconds));
  }

  /** Waits until `role` applied everything its writer (the other region) has written so far. */
  async waitUntilReplicated(role: RegionRole, timeoutSeconds: number): Promise<void> {
    const position = (await this.state(otherRole(role))).gtidBinlogPos;
    await this.waitApplied(role, position, timeoutSeconds);
  }

  /** Unplanned failover: stop pulling from the writer and apply what arrived; returns the GTIDs received. */
  applyReceived(role: RegionRole, timeoutSeconds: number): Promise<string> {
    return this.withAdmin(role, (sql) => drainRelayLog(sql, timeoutSeconds));
  }

  /** Makes `role` the writer and records it in topology.json (a new generation). */
  async promote(role: RegionRole, mode: string, note: string): Promise<LocalTopology> {
    await this.withAdmin(role, makeWriter);
    return (await setWriter(this.o.paths.topology, role, mode, note)).topology;
  }

  /**
   * Seconds `role` is behind its writer, undefined when it is not a replica. With `writerReachable`,
   * a replica that applied the writer's whole binlog is 0 behind, whatever Seconds_Behind_Master says.
   */
  async replicaLagSeconds(role: RegionRole, writerReachable: boolean): Promise<number | undefined> {
    const state = await this.state(role);
    if (!state.replica) return undefined;
    if (state.replica.lastSqlErrno !== 0) {
      throw new ReplicationError(
        `replication into ${this.o.region(role).name} is broken (${state.replica.lastSqlError}); ` +
          'fix it before moving the writer there',
      );
    }
    if (writerReachable) {
      const writer = await this.state(otherRole(role));
      if (gtidCovered(state.gtidSlavePos, writer.gtidBinlogPos)) return 0;
    }
    return state.replica.secondsBehind ?? undefined;
  }

  /** Rejoins `role` as a replica of the other region unless it already replicates from it. */
  async ensureReplica(role: RegionRole): Promise<RejoinOutcome> {
    if (this.replicatesFromWriter(role, await this.state(role))) return { kind: 'already-replicating' };
    return this.rejoin(role);
  }

  /**
   * Makes `role` a read-only replica of the other region. A former primary that holds transactions the
   * writer never received (lost by an unplanned failover) is dumped and rebuilt as a copy of the writer.
   * Either it replicates when this returns, or this throws.
   */
  async rejoin(role: RegionRole): Promise<RejoinOutcome> {
    const writerRole = otherRole(role);
    const [me, writer] = [this.o.region(role), this.o.region(writerRole)];
    const missing = await this.withAdmin(role, (mine) => this.withAdmin(writerRole, (theirs) => findDivergence(mine, theirs)));
    if (missing.length === 0) {
      try {
        await this.withAdmin(role, (sql) => replicateFrom(sql, writer.dbPort, this.o.secrets));
        this.log(`[${me.name} db] read-only replica of ${writer.name}`);
        return { kind: 'replicating' };
      } catch (error) {
        // The writer refused its GTID position: diverged after all, in a way the binlog states hid.
        if (!(error instanceof DivergenceError)) throw error;
      }
    }
    this.log(
      `[${me.name} db] DIVERGED: it holds transactions ${writer.name} never received (${missing.join(', ') || 'GTID error'}), ` +
        'lost by an unplanned failover. Saving its data, then rebuilding it as a copy of the writer.',
    );
    const backup = await reseedFromPrimary({
      database: this.o.database,
      secrets: this.o.secrets,
      stalePort: me.dbPort,
      primaryPort: writer.dbPort,
      backupDir: this.o.paths.regionDir(role),
    });
    this.log(`[${me.name} db] rebuilt as a read-only replica of ${writer.name}; its former data is in ${backup}`);
    this.o.onRebuilt?.(role, backup);
    return { kind: 'rebuilt', missing, backup };
  }

  /**
   * The safety net the supervisor runs every 2 s: the region that is not the writer must be read-only
   * and replicate from the writer. This fences an old primary that is still up after an unplanned
   * failover (the failover never contacts it) and re-attaches a replica whose writer came back later.
   * A pass is skipped while a role change holds the lock.
   */
  async reconcile(): Promise<void> {
    try {
      await withFileLock(this.o.paths.operation, () => this.reconcileNow(), RECONCILE_LOCK_WAIT_MS);
    } catch (error) {
      if (!(error instanceof LockHeldError)) throw error;
    }
  }

  private async reconcileNow(): Promise<void> {
    const topology = readTopology(this.o.paths.topology);
    if (!topology) return;
    const writerRole = topology.writer;
    const role = otherRole(writerRole);
    const [me, writer] = [this.o.region(role), this.o.region(writerRole)];
    if (!this.isUp(role)) return;
    const state = await this.state(role);
    if (!state.readOnly) {
      this.log(`[${me.name} db] is writable but ${writer.name} is the writer (generation ${topology.generation}): fencing it`);
      await this.fence(role);
    }
    if (!this.isUp(writerRole) || (await this.state(writerRole)).readOnly) return;
    if (this.replicatesFromWriter(role, { ...state, readOnly: true })) return;
    const r = state.replica;
    this.log(`[${me.name} db] not replicating from ${writer.name}${r?.lastIoError ? ` (${r.lastIoError})` : ''}: rejoining`);
    await this.rejoin(role);
  }

  /** Read-only, pointed at the other region's port, both threads going (the IO thread may be reconnecting). */
  private replicatesFromWriter(role: RegionRole, state: ServerState): boolean {
    const r = state.replica;
    if (!state.readOnly || !r) return false;
    return r.masterPort === this.o.region(otherRole(role)).dbPort && r.ioRunning !== 'No' && r.sqlRunning === 'Yes';
  }

  private withAdmin<T>(role: RegionRole, fn: (sql: Sql) => Promise<T>): Promise<T> {
    const region = this.o.region(role);
    return withAdmin({ name: `${region.name} database`, port: region.dbPort }, this.o.secrets, fn);
  }
}
