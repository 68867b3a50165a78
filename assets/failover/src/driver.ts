// The seam between the failover orchestration (plan → approve → steps → verify → report) and the
// place it runs: AWS (aws/driver.ts) or the local two-region rehearsal (util/local/failover-driver.ts).
// Every step method is "check the current state → act only if needed → wait until done" and says
// whether the work was already in place, so a second run is a no-op and a killed run can be resumed.
import type { FailoverMode, RegionRole } from '#names';

export type { FailoverMode, RegionRole } from '#names';

/** One region as the driver sees it. Unknown facts stay undefined (e.g. a region that did not answer). */
export interface RegionView {
  readonly role: RegionRole;
  /** AWS region name (`us-east-2`) or the local rehearsal's region label. */
  readonly region: string;
  /** false when the region was not contacted (primary down in an unplanned failover) or did not answer. */
  readonly reachable: boolean;
  readonly clusterId: string;
  readonly clusterArn?: string;
  readonly proxyName?: string;
  /** Host name of this region's API, the CloudFront origin when this region serves traffic. */
  readonly apiOriginDomain?: string;
  /** true: takes writes; false: read-only replica; undefined: unknown. */
  readonly isWriter?: boolean;
  /** false after a detach: the cluster is standalone. */
  readonly inGlobalCluster?: boolean;
  /** `available`, `failing-over`, ... as reported by the database. */
  readonly clusterStatus?: string;
  readonly engineVersion?: string;
  readonly instanceCount?: number;
}

/** Where the edge (CloudFront or the local edge) sends API traffic now. */
export interface TrafficOrigin {
  readonly originId: string;
  readonly domainName: string;
  /** ETag (CloudFront) or config version (local edge): changes are conditional on it. */
  readonly version: string;
  /** false while a config change is still propagating. */
  readonly deployed: boolean;
}

export interface Topology {
  readonly globalClusterId: string;
  /** CloudFront distribution id, or the local edge's name. */
  readonly edgeId: string;
  readonly regions: Readonly<Record<RegionRole, RegionView>>;
  /** Undefined when the edge could not be read. */
  readonly traffic?: TrafficOrigin;
  /** A global-cluster operation already under way (`switching-over`, `failing-over`), if any. */
  readonly pendingOperation?: string;
  /** Where each fact came from (`ssm:/todomgmt/secd/distribution-id`, `env:TARGET_CLUSTER_ID`), for the plan. */
  readonly sources: readonly string[];
}

/** What one run is asked to do. `from` is the current writer (or the region being left). */
export interface Move {
  readonly mode: FailoverMode;
  readonly from: RegionRole;
  readonly to: RegionRole;
  readonly topology: Topology;
}

export interface StepOutcome {
  /** true: nothing had to change (a re-run, or a resumed run past this step). */
  readonly alreadyInPlace: boolean;
  /** One line for the log and the report, e.g. "registered todomgmt-infra-secd-db-cluster". */
  readonly detail: string;
  /** Things the operator must know afterwards (how the old primary rejoins, split-brain warnings). */
  readonly notes?: readonly string[];
}

export interface StepOptions {
  /** Progress lines while polling ("status switching-over, next check in 10 s"). */
  readonly progress: (message: string) => void;
}

export interface DiscoverRequest {
  /** Roles whose region may be called. An unplanned failover leaves the old primary out entirely. */
  readonly contact: readonly RegionRole[];
}

export interface FailoverDriver {
  /** `aws` or `local`: printed in the plan and the report. */
  readonly name: string;
  /** AWS region name (or local label) of each role, known without calling anything. */
  readonly regionNames: Readonly<Record<RegionRole, string>>;
  /** Modes this driver can carry out; any other is refused before anything is called. */
  readonly modes: readonly FailoverMode[];
  /** How `promote` will make the target the writer in this mode, in the driver's own terms (for the plan). */
  describePromotion(mode: FailoverMode): string;
  /** Reads both regions' state without changing anything; regions not in `contact` come back unreachable. */
  discover(request: DiscoverRequest): Promise<Topology>;
  /** Seconds the target is behind the writer, undefined when not measurable; preflight refuses a lagging switchover. */
  replicationLagSeconds(move: Move): Promise<number | undefined>;
  /** Makes `move.to` the writer by `move.mode`, then waits (bounded) until it is writer and available. */
  promote(move: Move, options: StepOptions): Promise<StepOutcome>;
  /** Makes sure the target region's proxy routes to the target cluster and its targets are available. */
  ensureProxy(move: Move, options: StepOptions): Promise<StepOutcome>;
  /** Points the edge at the target's API (changing nothing else), conditional on the version; waits when `wait`. */
  switchTraffic(move: Move, options: StepOptions & { readonly wait: boolean }): Promise<StepOutcome>;
}
