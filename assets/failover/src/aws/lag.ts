// The target's replication lag, from the metric Aurora documents for its engine version: for Aurora
// MySQL 3.04.0 and higher (and 2.12.0 and higher) AuroraGlobalDBRPOLag, for lower versions
// AuroraGlobalDBReplicationLag, both in milliseconds, reported for secondary clusters in their own
// region (Aurora user guide, "Using switchover or failover in Amazon Aurora Global Database").
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { LagReading, Move } from '../driver';
import { parseEngineVersion } from '../engine-versions';
import type { AwsContext } from './discover';

export const RPO_LAG = 'AuroraGlobalDBRPOLag';
export const REPLICATION_LAG = 'AuroraGlobalDBReplicationLag';

/** Whether this engine version publishes AuroraGlobalDBRPOLag (every Aurora PostgreSQL version does). */
export function publishesRpoLag(engineVersion: string | undefined): boolean {
  const v = engineVersion === undefined ? undefined : parseEngineVersion(engineVersion);
  if (!v) return false;
  if (v.engine === 'aurora-postgresql') return true;
  return v.engine === 'aurora-mysql' && (v.major > 3 || (v.major === 3 && v.minor >= 4) || (v.major === 2 && v.minor >= 12));
}

/**
 * Asks for both metrics in one call (the last 10 minutes, newest first) and takes the one the engine
 * version documents; the other is the fallback when that one has no datapoint.
 */
export async function readLag(ctx: AwsContext, move: Move, now: number): Promise<LagReading> {
  const target = move.topology.regions[move.to];
  const query = (id: string, metric: string) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/RDS', MetricName: metric, Dimensions: [{ Name: 'DBClusterIdentifier', Value: target.clusterId }] },
      Period: 60,
      Stat: 'Maximum',
    },
  });
  const command = new GetMetricDataCommand({
    StartTime: new Date(now - 10 * 60_000),
    EndTime: new Date(now),
    ScanBy: 'TimestampDescending',
    MetricDataQueries: [query('rpo', RPO_LAG), query('replication', REPLICATION_LAG)],
  });
  const out = await ctx.caller.run('cloudwatch', target.region, command, () => ctx.clients.cloudwatch(target.region).send(command));
  const latest = (id: string) => out.MetricDataResults?.find((r) => r.Id === id)?.Values?.[0];
  const order = publishesRpoLag(target.engineVersion)
    ? [['rpo', RPO_LAG] as const, ['replication', REPLICATION_LAG] as const]
    : [['replication', REPLICATION_LAG] as const];
  for (const [id, metric] of order) {
    const ms = latest(id);
    if (ms !== undefined) return { seconds: ms / 1000, source: metric };
  }
  return { source: order[0][1] };
}
