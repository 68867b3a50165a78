// What each failover mode is, in one table: the planner (plan.ts), the orchestration (run.ts) and the
// help text (args.ts) read it instead of branching on the mode. How a driver carries a mode out (which
// AWS call, which SQL) is the driver's own per-mode record (aws/promotion.ts, describePromotion).
import { FAILOVER_MODES, type FailoverMode, type RegionRole } from '#names';
import type { LagReading, Move } from './driver';
import { UsageError } from './errors';

/** The preflight checks plan.ts knows; each mode lists those that apply to it. */
export type CheckName =
  | 'target region answers'
  | 'both regions answer'
  | 'old primary is down'
  | 'writer known'
  | 'target in sync'
  | 'engine versions match'
  | 'target cluster has an instance'
  | 'replication lag'
  | 'target API domain known'
  | 'target API answers'
  | 'traffic origin readable'
  | 'traffic path independent of the failed region';

export interface ModeSpec {
  /** One line of --help. */
  readonly description: string;
  /**
   * Which regions a run may call. `target`: for when the primary's region is down, so the run never
   * waits on, nor even connects to, the old primary, and a re-run after success stays a no-op.
   */
  readonly contacts: 'both' | 'target';
  /**
   * Ask the old primary's region once, bounded, whether it is healthy (a run that contacts only the target):
   * a healthy primary needs a switchover, not a failover, and --force to fail over anyway.
   */
  readonly probesOldPrimary: boolean;
  /** The move may lose writes that had not replicated: the run keeps what the old primary held (snapshot, dump). */
  readonly mayLoseWrites: boolean;
  /** Said when the engine versions do not allow a managed move: the way out in this mode. */
  readonly engineMismatch: string;
  /** The target without --to. `not-the-writer`: the same command moves back and forth (fails back). */
  readonly defaultTarget: 'not-the-writer' | { readonly role: RegionRole; readonly why: string };
  /** In the order the plan prints them. */
  readonly checks: readonly CheckName[];
  /** Measure the target's replication lag before planning: a check refuses on it, or a warning quotes it. */
  readonly measuresLag: boolean;
  /** What the operator must accept before this move (printed as WARNING lines; none once the target is the writer). */
  readonly warnings: (move: Move, lag: LagReading | undefined) => string[];
}

const DR_REGION = { role: 'secd', why: 'defaults to the secd (disaster-recovery) region' } as const;
/** Every mode needs these: a target that answers, has an instance, and an edge that can be pointed at it. */
const TARGET_CHECKS = [
  'target region answers',
  'target cluster has an instance',
  'target API domain known',
  'target API answers',
  'traffic origin readable',
  'traffic path independent of the failed region',
] as const;

export const MODES: Readonly<Record<FailoverMode, ModeSpec>> = {
  switchover: {
    description: 'planned, no data loss',
    contacts: 'both',
    probesOldPrimary: false,
    mayLoseWrites: false,
    engineMismatch: "upgrade the secondary to the primary's version first, or --force to try anyway",
    defaultTarget: 'not-the-writer',
    checks: [
      'target region answers',
      'both regions answer',
      'writer known',
      'target in sync',
      'engine versions match',
      'target cluster has an instance',
      'replication lag',
      'target API domain known',
      'target API answers',
      'traffic origin readable',
      'traffic path independent of the failed region',
    ],
    measuresLag: true,
    warnings: () => [],
  },
  failover: {
    description: 'primary region down: AllowDataLoss; that region is only asked whether it is healthy',
    contacts: 'target',
    probesOldPrimary: true,
    mayLoseWrites: true,
    // Aurora user guide, "Performing manual failovers for Aurora global databases": the way when versions are incompatible.
    engineMismatch:
      'a managed failover cannot run across these versions: use --mode detach (the manual failover), or --force to try anyway',
    defaultTarget: DR_REGION,
    checks: ['target region answers', 'old primary is down', 'target in sync', 'engine versions match', ...TARGET_CHECKS.slice(1)],
    measuresLag: true,
    warnings: ({ topology, from }, reading) => {
      const old = topology.regions[from].region;
      const lag =
        reading?.seconds !== undefined
          ? ` (last measured lag ${reading.seconds.toFixed(1)} s, ${reading.source})`
          : reading
            ? ` (no recent ${reading.source} datapoint: the loss is unknown)`
            : '';
      return [
        `UNPLANNED FAILOVER: writes committed in ${old} but not yet replicated are lost${lag}. ` +
          `If ${old} is healthy, use --mode switchover instead (no data loss).`,
      ];
    },
  },
  detach: {
    description: 'remove the target from the global database; standalone writer',
    contacts: 'target',
    // A detach leaves the old primary writable by design (its warning says so): nothing to ask it.
    probesOldPrimary: false,
    mayLoseWrites: false,
    engineMismatch: 'a detach does not compare versions',
    defaultTarget: DR_REGION,
    checks: TARGET_CHECKS,
    // A detach ends replication to the target: no check refuses on its lag and no warning quotes it.
    measuresLag: false,
    warnings: ({ topology, from, to }) => [
      `DETACH: ${topology.regions[to].clusterId} leaves the global database for good and becomes a standalone writer; ` +
        `${topology.regions[from].clusterId} in ${topology.regions[from].region} stays a writer too (split brain) until you stop it. ` +
        'Prefer --mode failover.',
    ],
  },
};

export function parseMode(value: string): FailoverMode {
  if (!(FAILOVER_MODES as readonly string[]).includes(value)) {
    throw new UsageError(`--mode ${value} is not a mode: use ${FAILOVER_MODES.join(' | ')}`);
  }
  return value as FailoverMode;
}
