// Replication lag of the local rehearsal in transactions, read from GTIDs every 50 ms while the game day
// runs: the writer's @@gtid_binlog_pos against the replica's @@gtid_slave_pos. When the writer dies,
// the last sample before its death bounds what an unplanned failover can lose: the transactions the
// replica had not applied then, plus every write the old primary acknowledged after that sample.
import type * as mysql from 'mysql2/promise';
import { REGION_ROLES, type RegionRole } from '#names';
import { connectAdmin } from '../local/admin-connection';
import { parseGtidList } from '../local/gtid';
import type { Endpoints } from '../local/runtime';
import { loadSecrets } from '../local/secrets';
import { statePaths } from '../local/state';
import type { AckedWrite } from './recorder';
import type { LagAtKill } from './report';

export interface GtidSample {
  /** When the query was sent (epoch ms): a write acknowledged after this may be missing from it. */
  readonly at: number;
  readonly role: RegionRole;
  readonly readOnly: boolean;
  readonly binlogPos: string;
  readonly slavePos: string;
}

/** Transactions in `writer` that `applied` lacks, summed over replication domains. */
export function transactionsBehind(writer: string, applied: string): number {
  const have = new Map(parseGtidList(applied).map((g) => [g.domain, g.seq]));
  let behind = 0n;
  for (const g of parseGtidList(writer)) {
    const gap = g.seq - (have.get(g.domain) ?? 0n);
    if (gap > 0n) behind += gap;
  }
  return Number(behind);
}

/**
 * The bound for a failover: the last round before `killedBy` (epoch ms, when the kill had completed) in
 * which both databases answered, and the writes `writerRegion` acknowledged after it.
 */
export function lagAtKill(
  samples: readonly GtidSample[],
  writer: RegionRole,
  writerRegion: string,
  acked: readonly AckedWrite[],
  killedBy: number,
): LagAtKill | undefined {
  const replica = REGION_ROLES.find((r) => r !== writer)!;
  // Pairs of samples taken in the same round (same `at` per round, see sampleOnce).
  const rounds = new Map<number, Partial<Record<RegionRole, GtidSample>>>();
  for (const s of samples.filter((x) => x.at < killedBy)) rounds.set(s.at, { ...rounds.get(s.at), [s.role]: s });
  const complete = [...rounds.entries()].filter(([, r]) => r[writer] && r[replica]).sort(([a], [b]) => a - b);
  if (complete.length === 0) return undefined;
  const [at, round] = complete[complete.length - 1];
  const w = round[writer]!;
  const r = round[replica]!;
  const behind = transactionsBehind(w.binlogPos, r.slavePos);
  const after = acked.filter((a) => a.region === writerRegion && a.ackAt > at).length;
  return {
    sampledAt: new Date(at).toISOString(),
    writerPosition: w.binlogPos,
    replicaPosition: r.slavePos,
    transactionsBehind: behind,
    acknowledgedAfterSample: after,
    writesInLag: behind + after,
  };
}

export class GtidSampler {
  readonly samples: GtidSample[] = [];
  private readonly connections = new Map<RegionRole, mysql.Connection>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly stateDir: string,
    private readonly endpoints: () => Endpoints,
    private readonly everyMs = 50,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.sampleOnce().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.everyMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await Promise.all([...this.connections.values()].map((c) => c.end().catch(() => c.destroy())));
    this.connections.clear();
  }

  /** Waits until the replica applied everything the writer wrote (the seeds must be there before a kill). */
  async waitCaughtUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = await this.sampleOnce();
      const round = this.samples.filter((s) => s.at === at);
      const writer = round.find((s) => !s.readOnly);
      const replica = round.find((s) => s.readOnly);
      if (writer && replica && transactionsBehind(writer.binlogPos, replica.slavePos) === 0) return;
      if (Date.now() > deadline) throw new Error(`the replica did not catch up with the writer within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** One round: both databases at once, under one timestamp. A database that does not answer is left out. */
  async sampleOnce(): Promise<number> {
    const at = performance.timeOrigin + performance.now();
    await Promise.all(REGION_ROLES.map((role) => this.sample(role, at)));
    return at;
  }

  private async sample(role: RegionRole, at: number): Promise<void> {
    try {
      const connection = await this.connection(role);
      const [rows] = await connection.query(
        'SELECT @@GLOBAL.read_only AS ro, @@GLOBAL.gtid_binlog_pos AS bp, @@GLOBAL.gtid_slave_pos AS sp',
      );
      const [row] = rows as { ro: number | string; bp: string | null; sp: string | null }[];
      this.samples.push({ at, role, readOnly: Number(row.ro) === 1, binlogPos: row.bp ?? '', slavePos: row.sp ?? '' });
    } catch {
      // Down (killed, restarting): no sample this round; reconnect next time.
      this.connections.get(role)?.destroy();
      this.connections.delete(role);
    }
  }

  private async connection(role: RegionRole): Promise<mysql.Connection> {
    const existing = this.connections.get(role);
    if (existing) return existing;
    const connection = await connectAdmin(this.endpoints().regions[role].dbPort, loadSecrets(statePaths(this.stateDir).secrets), 500);
    connection.on('error', () => this.connections.delete(role));
    this.connections.set(role, connection);
    return connection;
  }
}
