// Parameter Store and CloudWatch, per region: the ids the stacks published, and the replication lag.
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { clusterId, type RegionRole } from '#names';
import { route, type Route } from './route';
import type { AwsWorldState } from './state';

export const SSM_PAGE_SIZE = 10;

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
];

export const cloudwatchRoutes = (world: AwsWorldState, here: RegionRole): Route[] => [
  route(GetMetricDataCommand).answer((input) => {
    const dimension = input.MetricDataQueries?.[0]?.MetricStat?.Metric?.Dimensions?.[0]?.Value;
    // Newest first, as asked with ScanBy TimestampDescending.
    const values = dimension === clusterId(here) && world.lagMs !== undefined ? [world.lagMs, 90] : [];
    return { MetricDataResults: [{ Id: 'lag', Values: values, Timestamps: values.map(() => new Date(world.clock.now())) }] };
  }),
];
