// The seam between the failover orchestration (plan → approve → steps → verify → report) and the
// place it runs: AWS (aws/driver.ts) or the local two-region rehearsal (util/local/failover-driver.ts).
// Every step method is "check the current state → act only if needed → wait until done" and says
// whether the work was already in place, so a second run is a no-op and a killed run can be resumed.
import type { FailoverMode, RegionRole, TrafficMethod } from '#names';
import type { HttpAnswer } from './http-probe';
import type { RunRecord } from './run-record';

export type { FailoverMode, RegionRole, TrafficMethod } from '#names';

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
  /** The global database's view of this member: `connected`, or `pending-resync` while it is rebuilt. */
  readonly synchronization?: string;
  /** Base URL of this region's API (`https://<api-domain>/prod`): what the traffic checks send a GET to. */
  readonly apiUrl?: string;
  /** Set when the region was only asked, once and bounded, whether it is healthy (the old primary of a failover). */
  readonly health?: HealthProbe;
}

/** The answer to "is the old primary healthy?": a failover against a healthy primary needs --force. */
export interface HealthProbe {
  readonly answered: boolean;
  /** It answered, is available and is still the writer. */
  readonly healthy: boolean;
  readonly detail: string;
}

/** Where the edge (CloudFront or the local edge) sends API traffic now. */
export interface TrafficOrigin {
  readonly originId: string;
  readonly domainName: string;
  /** ETag (CloudFront) or config version (local edge): changes are conditional on it. */
  readonly version: string;
  /** false while a config change is still propagating. */
  readonly deployed: boolean;
  /** What decides it: the edge's KeyValueStore key, or the distribution's configured origin (no key). */
  readonly decidedBy?: 'kvs-key' | 'configured-origin';
}

/** The edge's KeyValueStore and its one key (EDGE_ORIGIN_KEY), as discovery read them. */
export interface EdgeKeyView {
  readonly storeArn: string;
  /** false: the store did not answer; `value` is then unknown. */
  readonly readable: boolean;
  /** The API host the key names; undefined when the key is absent (or unreadable). */
  readonly value?: string;
}

/** Where tokens come from: the primary's user pool, and its replica in the secondary (COGNITO_REPLICA=true). */
export interface UserPoolView {
  readonly userPoolId?: string;
  /** `arn:aws:cognito-idp:<secd region>:<account>:userpool/<pool id>`; undefined: no replica deployed. */
  readonly replicaArn?: string;
}

export interface Topology {
  readonly globalClusterId: string;
  /** CloudFront distribution id, or the local edge's name. */
  readonly edgeId: string;
  readonly regions: Readonly<Record<RegionRole, RegionView>>;
  /** The EFFECTIVE origin (the key's host if present, else the configured origin); undefined when unknown. */
  readonly traffic?: TrafficOrigin;
  /** The distribution's configured API origin, when CloudFront's control plane answered. */
  readonly configuredOrigin?: TrafficOrigin;
  /** The edge's KeyValueStore, when one is known (kvs-arn published, or CLOUDFRONT_KVS_ARN). */
  readonly edgeKey?: EdgeKeyView;
  readonly userPool?: UserPoolView;
  /** A global-cluster operation already under way (`switching-over`, `failing-over`), if any. */
  readonly pendingOperation?: string;
  /** Where each fact came from (`ssm:/todomgmt/secd/distribution-id`, `env:TARGET_CLUSTER_ID`), for the plan. */
  readonly sources: readonly string[];
  /** The URL clients use (`https://dxxxx.cloudfront.net`, or the local edge): what the traffic checks GET. */
  readonly edgeUrl?: string;
  /** The global database's engine version: the old primary's when its region cannot be read. */
  readonly engineVersion?: string;
  /** The newest record of an earlier run found in the regions read, if any. */
  readonly runRecord?: RunRecord;
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

export interface TrafficOptions extends StepOptions {
  /** Wait for a distribution deployment (origin-swap); the KeyValueStore has no deployment to wait for. */
  readonly wait: boolean;
  readonly method: TrafficMethod;
}

export interface DiscoverRequest {
  /** Roles whose region may be called. An unplanned failover leaves the old primary out. */
  readonly contact: readonly RegionRole[];
  /** Roles asked only whether they are healthy: one bounded attempt, never waited on (`RegionView.health`). */
  readonly probe?: readonly RegionRole[];
}

/** A replication lag measurement; `seconds` undefined when there was no datapoint. */
export interface LagReading {
  readonly seconds?: number;
  /** What was read (`AuroraGlobalDBRPOLag`, `GTID positions`). */
  readonly source: string;
}

/** Where a run record was written: a region that did not answer is skipped and said so. */
export interface RecordWrite {
  readonly role: RegionRole;
  readonly saved: boolean;
  readonly detail: string;
}

/** After a data-loss failover: the old primary's writes that never replicated, kept for reconciling. */
export interface KeptWrites extends StepOutcome {
  /** The copy's name (a manual snapshot, a dump file); undefined while there is nothing to keep yet. */
  readonly kept?: string;
}

export type PlannedStep = 'promote' | 'proxy' | 'traffic' | 'tokens';

export interface FailoverDriver {
  /** `aws` or `local`: printed in the plan and the report. */
  readonly name: string;
  /** AWS region name (or local label) of each role, known without calling anything. */
  readonly regionNames: Readonly<Record<RegionRole, string>>;
  /** Modes this driver can carry out; any other is refused before anything is called. */
  readonly modes: readonly FailoverMode[];
  /** How `promote` will make the target the writer in this mode, in the driver's own terms (for the plan). */
  describePromotion(mode: FailoverMode): string;
  /** Which control or data plane, in which region, each step calls (printed in the plan); optional for drivers without one. */
  describePlanes?(move: Move, traffic: TrafficMethod): Readonly<Partial<Record<PlannedStep, string>>>;
  /** Reads both regions' state without changing anything; regions not in `contact` come back unreachable. */
  discover(request: DiscoverRequest): Promise<Topology>;
  /** How far the target is behind the writer; preflight refuses a lagging (or unmeasured) switchover. */
  replicationLag(move: Move): Promise<LagReading>;
  /** Makes `move.to` the writer by `move.mode`, then waits (bounded) until it is writer and available. */
  promote(move: Move, options: StepOptions): Promise<StepOutcome>;
  /** Makes sure the target region's proxy routes to the target cluster and its targets are available. */
  ensureProxy(move: Move, options: StepOptions): Promise<StepOutcome>;
  /**
   * Points the edge at the target's API (changing nothing else), conditional on the version it read: `kvs` writes
   * the edge's key (absent = the configured origin, the primary), `origin-swap` changes the configured origin
   * (and must leave no key that would override it); waits for a deployment when `wait`.
   */
  switchTraffic(move: Move, options: TrafficOptions): Promise<StepOutcome>;
  /**
   * Makes sure clients can get tokens from the target region: with a user pool replica there (COGNITO_REPLICA)
   * it is activated (or found active); without one, says where tokens come from. Runs after the traffic step;
   * the run reports a failure here as a note, since the database and the traffic have already moved.
   */
  ensureTokens(move: Move, options: StepOptions): Promise<StepOutcome>;
  /** A GET without credentials, to read which region answers (the edge's URL, a region's API). */
  httpGet(url: string, timeoutMs: number): Promise<HttpAnswer>;
  /** Writes the run record to each role's region, best effort: never throws for a region that does not answer. */
  saveRunRecord(record: RunRecord, roles: readonly RegionRole[]): Promise<RecordWrite[]>;
  /**
   * After a data-loss failover away from `oldPrimary` (at `since`, ISO time): keeps what it held beyond
   * the new primary (on AWS a manual copy of Aurora's unplanned-failover snapshot) once that exists.
   */
  keepLostWrites(topology: Topology, oldPrimary: RegionRole, since: string, options: StepOptions): Promise<KeptWrites>;
  /** When the driver first called out (an AWS API, a local database), epoch ms; undefined before. */
  firstCallAt(): number | undefined;
}
