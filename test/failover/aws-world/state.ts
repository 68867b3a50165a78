// The simulated facts of the two-region deployment and how they change over (fake) time. The service
// routes (rds.ts, cloudfront.ts, ssm-cloudwatch.ts) read and change these; tests set them directly to
// stage a scenario. The behaviour is specified in ../aws-world.md.
import { GLOBAL_CLUSTER_ID, clusterId, proxyName, ssmParameterName, type RegionRole } from '#names';
import { fakeClock } from '#failover/clock';
import { API_DOMAIN, DISTRIBUTION_ID, REGIONS, clusterArn, initialDistributionConfig } from './fixtures';

export interface Pending {
  readonly kind: 'switching-over' | 'failing-over';
  readonly from: RegionRole;
  readonly to: RegionRole;
  readonly doneAt: number;
}

export class AwsWorldState {
  readonly clock = fakeClock();
  writer: RegionRole = 'pri';
  members = new Set<RegionRole>(['pri', 'secd']);
  pending: Pending | undefined;
  /** Time until which a cluster is still busy (promoting after a detach, ...). */
  busyUntil: Record<RegionRole, number> = { pri: 0, secd: 0 };
  engineVersion: Record<RegionRole, string> = { pri: '8.0.mysql_aurora.3.10.0', secd: '8.0.mysql_aurora.3.10.0' };
  instances: Record<RegionRole, number> = { pri: 1, secd: 1 };
  proxyRegistered: Record<RegionRole, boolean> = { pri: true, secd: true };
  /** The writer's proxy target turns AVAILABLE READ_WRITE this long after promotion or registration. */
  proxyReadyAt: Record<RegionRole, number> = { pri: 0, secd: 0 };
  /** AuroraGlobalDBReplicationLag in milliseconds; undefined: no datapoint. */
  lagMs: number | undefined = 120;
  /** Regions whose RDS, SSM and CloudWatch endpoints time out. */
  down = new Set<string>();
  distribution = initialDistributionConfig();
  etag = 1;
  deployedAt = 0;
  /** UpdateDistribution loses this many races: someone else edits the distribution first. */
  etagConflicts = 0;
  /** How long promotions and deployments take (simulated). */
  durations = { switchover: 75_000, failover: 50_000, detach: 40_000, proxy: 20_000, deploy: 240_000 };
  /** Parameter Store per region: name → value. */
  parameters: Record<string, Record<string, string>>;

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
      [ssmParameterName(role, 'user-pool-id')]: 'us-east-1_EXAMPLE',
      [ssmParameterName(role, 'distribution-id')]: DISTRIBUTION_ID,
    });
    this.parameters = { [REGIONS.pri]: own('pri'), [REGIONS.secd]: own('secd') };
  }

  /** A global-cluster operation whose time has come completes; every call sees the world settled first. */
  settle(): void {
    const now = this.clock.now();
    if (this.pending && now >= this.pending.doneAt) {
      this.writer = this.pending.to;
      this.proxyReadyAt[this.pending.to] = now + this.durations.proxy;
      this.pending = undefined;
    }
  }

  isWriter(role: RegionRole): boolean {
    this.settle();
    if (!this.members.has(role)) return true; // detached: standalone writer
    return this.writer === role;
  }

  /** The old primary's region came back after an unplanned failover: Aurora re-adds it as a secondary. */
  rejoin(role: RegionRole): void {
    this.down.delete(REGIONS[role]);
    this.members.add(role);
  }
}
