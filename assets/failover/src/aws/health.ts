// "Is the old primary healthy?", asked of its own region once, without retries and cut off after a few
// seconds, so that a failover away from a region that is down never waits on it. Aurora offers no
// fencing of a healthy primary in an unplanned failover beyond best-effort write fencing (Aurora user
// guide, "Using switchover or failover in Amazon Aurora Global Database": writes "might be momentarily
// accepted in the old primary Region"), so a failover against a healthy one is refused without --force.
import { DescribeDBClustersCommand } from '@aws-sdk/client-rds';
import type { RegionRole } from '#names';
import type { HealthProbe } from '../driver';
import { AwsCallError } from './aws-call';
import type { AwsContext } from './discover';

export interface ProbedCluster {
  readonly health: HealthProbe;
  readonly engineVersion?: string;
  readonly status?: string;
}

export async function probeCluster(
  ctx: AwsContext,
  role: RegionRole,
  clusterId: string,
  isWriter: boolean | undefined,
): Promise<ProbedCluster> {
  const region = ctx.regions[role];
  const command = new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId });
  try {
    const out = await ctx.caller.probe('rds', region, command, (abortSignal) => ctx.clients.rds(region).send(command, { abortSignal }));
    const cluster = out.DBClusters?.[0];
    const status = cluster?.Status ?? 'unknown';
    const writer = isWriter === true ? 'the writer' : isWriter === false ? 'not the writer' : 'writer unknown';
    const healthy = status === 'available' && isWriter === true;
    return {
      health: { answered: true, healthy, detail: `${region} answered: ${clusterId} ${status}, ${writer}` },
      engineVersion: cluster?.EngineVersion,
      status,
    };
  } catch (error) {
    // Credentials and permissions are the operator's to fix: never read them as "the primary is down".
    if (!(error instanceof AwsCallError) || error.kind === 'access-denied' || error.kind === 'no-credentials') throw error;
    const answered = error.kind !== 'unreachable';
    const detail = answered
      ? `${region} answered with an error: ${error.message}`
      : `${region} did not answer (${(error.cause as Error)?.message ?? error.kind})`;
    return { health: { answered, healthy: false, detail } };
  }
}
