// Parameter Store and CloudWatch, per region: the ids the stacks published, the failover run record,
// and the replication lag metrics.
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetParametersByPathCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { clusterId, type RegionRole } from '#names';
import { fault } from './fixtures';
import { route, type Route } from './route';
import type { AwsWorldState } from './state';

export const SSM_PAGE_SIZE = 10;
/** A standard-tier parameter holds at most 4 KB (Systems Manager user guide, parameter tiers). */
export const SSM_STANDARD_MAX_VALUE = 4096;

export const ssmRoutes = (world: AwsWorldState, region: string): Route[] => [
  route(GetParametersByPathCommand).answer((input) => {
    const all = Object.entries(world.parameters[region] ?? {}).filter(([name]) => name.startsWith(input.Path ?? ''));
    const start = Number(input.NextToken ?? 0);
    const page = all.slice(start, start + SSM_PAGE_SIZE);
    return {
      Parameters: page.map(([Name, Value]) => ({ Name, Value, Type: 'String' })),
      NextToken: start + SSM_PAGE_SIZE < all.length ? String(start + SSM_PAGE_SIZE) : undefined,
    };
  }),

  route(PutParameterCommand).answer((input) => {
    const own = (world.parameters[region] ??= {});
    const name = input.Name ?? '';
    if (input.Type !== undefined && input.Type !== 'String') throw fault('UnsupportedParameterType', `the test world stores String only`);
    if ((input.Value ?? '').length > SSM_STANDARD_MAX_VALUE) {
      throw fault('ValidationException', `value of ${name} is longer than ${SSM_STANDARD_MAX_VALUE}`, {
        $metadata: { httpStatusCode: 400 },
      });
    }
    if (name in own && input.Overwrite !== true) throw fault('ParameterAlreadyExists', `${name} already exists`);
    own[name] = input.Value ?? '';
    return { Version: 1, Tier: 'Standard' };
  }),
];

/** Aurora MySQL 3.04 and later publish AuroraGlobalDBRPOLag; every version publishes AuroraGlobalDBReplicationLag. */
const publishesRpoLag = (engineVersion: string) => {
  const [major, minor] = (/mysql_aurora\.(\d+)\.(\d+)/.exec(engineVersion) ?? []).slice(1).map(Number);
  return major > 3 || (major === 3 && minor >= 4);
};

export const cloudwatchRoutes = (world: AwsWorldState, here: RegionRole): Route[] => [
  route(GetMetricDataCommand).answer((input) => ({
    MetricDataResults: (input.MetricDataQueries ?? []).map((query) => {
      const metric = query.MetricStat?.Metric;
      const dimension = metric?.Dimensions?.[0]?.Value;
      const latest =
        metric?.MetricName === 'AuroraGlobalDBReplicationLag'
          ? world.lagMs
          : metric?.MetricName === 'AuroraGlobalDBRPOLag' && publishesRpoLag(world.engineVersion[here])
            ? world.rpoLagMs
            : undefined;
      // Newest first, as asked with ScanBy TimestampDescending; a secondary's own cluster only (the writer
      // reports no replication lag: Aurora user guide, "Using switchover or failover in Amazon Aurora Global Database").
      const secondary = !world.isWriter(here);
      const values = secondary && dimension === clusterId(here) && latest !== undefined ? [latest, 90] : [];
      return { Id: query.Id, Values: values, Timestamps: values.map(() => new Date(world.clock.now())) };
    }),
  })),
];
