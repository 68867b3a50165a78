// The simulated facts of the two-region deployment and how they change over (fake) time. The service
// routes (rds.ts, snapshots.ts, cloudfront.ts, ssm-cloudwatch.ts, https.ts) read and change these;
// tests set them directly to stage a scenario. The behaviour is specified in ../aws-world.md.
import { GLOBAL_CLUSTER_ID, REGION_ROLES, clusterId, proxyName, ssmParameterName, type RegionRole } from '#names';
import { fakeClock } from '#failover/clock';
import {
  API_DOMAIN,
  DISTRIBUTION_ID,
  EDGE_DOMAIN,
  KVS_ARN,
  REGIONS,
  REPLICA_ARN,
  USER_POOL_ID,
  clusterArn,
  initialDistributionConfig,
} from './fixtures';

/** FailoverState.Status values (RDS API reference, FailoverState), `switching-over` included. */
export type PendingKind = 'pending' | 'switching-over' | 'failing-over' | 'cancelling';

export interface Pending {
  readonly kind: PendingKind;
  readonly from: RegionRole;
  readonly to: RegionRole;
  readonly doneAt: number;
  /** What the operation was before it was cancelled (a cancelled one changes no writer). */
  readonly cancelled?: 'switching-over' | 'failing-over';
}

export interface ClusterSnapshot {
  readonly id: string;
  readonly clusterId: string;
  readonly type: 'automated' | 'manual';
  readonly createdAt: number;
  /** `creating` until then, `available` after. */
  readonly availableAt: number;
}

export class AwsWorldState {
  readonly clock = fakeClock();
  writer: RegionRole = 'pri';
  members = new Set<RegionRole>(['pri', 'secd']);
  pending: Pending | undefined;
  /** Time until which a cluster is still busy (promoting after a detach, ...). */
  busyUntil: Record<RegionRole, number> = { pri: 0, secd: 0 };
  /** Until then the member is `pending-resync`: Aurora rebuilds it after a data-loss failover. */
  resyncUntil: Record<RegionRole, number> = { pri: 0, secd: 0 };
  /** An old primary left behind by a data-loss failover, not yet rebuilt (its region was down). */
  awaitingRebuild: RegionRole | undefined;
  engineVersion: Record<RegionRole, string> = { pri: '8.0.mysql_aurora.3.10.0', secd: '8.0.mysql_aurora.3.10.0' };
  instances: Record<RegionRole, number> = { pri: 1, secd: 1 };
  proxyRegistered: Record<RegionRole, boolean> = { pri: true, secd: true };
  /** The writer's proxy target turns AVAILABLE READ_WRITE this long after promotion or registration. */
  proxyReadyAt: Record<RegionRole, number> = { pri: 0, secd: 0 };
  /** AuroraGlobalDBReplicationLag in milliseconds; undefined: no datapoint. */
  lagMs: number | undefined = 120;
  /** AuroraGlobalDBRPOLag in milliseconds, published for Aurora MySQL 3.04 and later; undefined: no datapoint. */
  rpoLagMs: number | undefined = 150;
  /** Regions whose RDS, SSM and CloudWatch endpoints (and APIs) time out. */
  down = new Set<string>();
  distribution = initialDistributionConfig();
  etag = 1;
  deployedAt = 0;
  /** UpdateDistribution loses this many races: someone else edits the distribution first. */
  etagConflicts = 0;
  /** CloudFront's control plane (us-east-1) does not answer; the KeyValueStore data plane and the edge still do. */
  cloudfrontDown = false;
  /** The KeyValueStore's keys (EDGE_ORIGIN_KEY absent at first: the configured origin decides). */
  kvs = new Map<string, string>();
  kvsEtag = 1;
  /** PutKey/DeleteKey lose this many races: someone else writes a key first. */
  kvsConflicts = 0;
  /** The user pool replica in the secondary: undefined = none (COGNITO_REPLICA off); see withReplica(). */
  replicaStatus: 'CREATING' | 'INACTIVE' | 'ACTIVE' | undefined;
  /** An UpdateUserPoolReplica to ACTIVE takes effect this long after it is accepted. */
  replicaActivatedAt = 0;
  /** How long promotions, rebuilds and deployments take (simulated). */
  durations = {
    replicaActivation: 15_000,
    switchover: 75_000,
    failover: 50_000,
    detach: 40_000,
    cancel: 30_000,
    proxy: 20_000,
    deploy: 240_000,
    resync: 600_000,
    snapshot: 120_000,
  };
  /** Parameter Store per region: name → value. */
  parameters: Record<string, Record<string, string>>;
  /** DB cluster snapshots per region. */
  snapshots: Record<string, ClusterSnapshot[]> = { [REGIONS.pri]: [], [REGIONS.secd]: [] };
  /** API hosts that answer (API Gateway stages), by region; any other host does not resolve. */
  apiHosts: Record<string, RegionRole> = { [API_DOMAIN.pri]: 'pri', [API_DOMAIN.secd]: 'secd' };
  edgeDomain = EDGE_DOMAIN;

  constructor() {
    const own = (role: RegionRole) => ({
      [ssmParameterName(role, 'region')]: REGIONS[role],
      [ssmParameterName(role, 'cluster-id')]: clusterId(role),
      [ssmParameterName(role, 'cluster-arn')]: clusterArn(role),
      [ssmParameterName(role, 'proxy-name')]: proxyName(role),
      [ssmParameterName(role, 'proxy-endpoint')]: `${proxyName(role)}.proxy-abc.${REGIONS[role]}.rds.amazonaws.com`,
      [ssmParameterName(role, 'api-domain')]: API_DOMAIN[role],
      [ssmParameterName(role, 'api-url')]: `https://${API_DOMAIN[role]}/prod/`,
      [ssmParameterName(role, 'global-cluster-id')]: GLOBAL_CLUSTER_ID,
      [ssmParameterName(role, 'user-pool-id')]: USER_POOL_ID,
      [ssmParameterName(role, 'kvs-arn')]: KVS_ARN,
      [ssmParameterName(role, 'distribution-id')]: DISTRIBUTION_ID,
      [ssmParameterName(role, 'edge-domain')]: EDGE_DOMAIN,
    });
    this.parameters = { [REGIONS.pri]: own('pri'), [REGIONS.secd]: own('secd') };
  }

  /** COGNITO_REPLICA=true: the secondary has a replica of the user pool (and publishes its ARN). */
  withReplica(status: 'CREATING' | 'INACTIVE' | 'ACTIVE' = 'INACTIVE'): this {
    this.replicaStatus = status;
    this.parameters[REGIONS.secd][ssmParameterName('secd', 'user-pool-replica-arn')] = REPLICA_ARN;
    return this;
  }

  /** A global-cluster operation whose time has come completes; every call sees the world settled first. */
  settle(): void {
    const now = this.clock.now();
    const p = this.pending;
    if (p && now >= p.doneAt) {
      this.pending = undefined;
      if (p.kind === 'cancelling') return;
      const old = this.writer;
      this.writer = p.to;
      this.proxyReadyAt[p.to] = now + this.durations.proxy;
      // A data-loss failover leaves the old primary to be rebuilt from the new one: at once if its region
      // is up (it stayed a member), else once the region recovers (rejoin).
      if (p.kind === 'failing-over') {
        if (this.members.has(old)) this.rebuild(old);
        else this.awaitingRebuild = old;
      }
    }
  }

  isWriter(role: RegionRole): boolean {
    this.settle();
    if (!this.members.has(role)) return true; // detached: standalone writer
    return this.writer === role;
  }

  isResyncing(role: RegionRole): boolean {
    return this.members.has(role) && this.clock.now() < this.resyncUntil[role];
  }

  /** The global cluster's Status: an operation under way, a rebuild after a data-loss failover, or available. */
  globalStatus(): string {
    if (this.pending) return this.pending.kind === 'pending' ? 'available' : (this.pending.cancelled ?? this.pending.kind);
    const rebuilding = this.awaitingRebuild !== undefined || REGION_ROLES.some((r) => this.isResyncing(r));
    return rebuilding ? 'modifying' : 'available';
  }

  /** The old primary's region came back after an unplanned failover: Aurora re-adds it as a secondary and rebuilds it. */
  rejoin(role: RegionRole): void {
    this.down.delete(REGIONS[role]);
    this.settle();
    this.members.add(role);
    if (this.awaitingRebuild === role) {
      this.awaitingRebuild = undefined;
      this.rebuild(role);
    }
  }

  /** Someone cancelled the operation under way (the console's cancel): the clusters return to their roles. */
  cancel(): void {
    const p = this.pending;
    if (!p || p.kind === 'cancelling') throw new Error('nothing to cancel');
    const cancelled = p.kind === 'pending' ? undefined : p.kind;
    this.pending = { kind: 'cancelling', from: p.from, to: p.to, cancelled, doneAt: this.clock.now() + this.durations.cancel };
  }

  /**
   * Aurora snapshots the old storage volume (`rds:unplanned-global-failover-<cluster>-<timestamp>`, an
   * automated snapshot in the old primary's region), then resynchronizes the member from the new primary.
   */
  private rebuild(role: RegionRole): void {
    const now = this.clock.now();
    const stamp = new Date(now).toISOString().slice(0, 16).replace(/[T:]/g, '-');
    this.snapshots[REGIONS[role]].push({
      id: `rds:unplanned-global-failover-${clusterId(role)}-${stamp}`,
      clusterId: clusterId(role),
      type: 'automated',
      createdAt: now,
      availableAt: now + this.durations.snapshot,
    });
    this.resyncUntil[role] = now + this.durations.resync;
  }
}
