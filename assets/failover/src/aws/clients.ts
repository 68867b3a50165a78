// One SDK client per service and region, created on first use so that a region the run must not touch
// (the old primary in an unplanned failover) never even gets a client.
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { SSMClient } from '@aws-sdk/client-ssm';

export interface AwsClients {
  rds(region: string): RDSClient;
  ssm(region: string): SSMClient;
  cloudwatch(region: string): CloudWatchClient;
  /** CloudFront's control plane is global (served from us-east-1) whatever region the client names. */
  cloudfront(): CloudFrontClient;
}

/**
 * Retries live in AwsCaller (so they are visible and testable); the SDK makes one attempt and gives up
 * on a silent region after bounded connect/request time-outs instead of hanging the run.
 */
const sdkDefaults = {
  maxAttempts: 1,
  requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
} as const;

export function createAwsClients(): AwsClients {
  const cache = new Map<string, unknown>();
  const memo = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as T;
  };
  return {
    rds: (region) => memo(`rds:${region}`, () => new RDSClient({ region, ...sdkDefaults })),
    ssm: (region) => memo(`ssm:${region}`, () => new SSMClient({ region, ...sdkDefaults })),
    cloudwatch: (region) => memo(`cloudwatch:${region}`, () => new CloudWatchClient({ region, ...sdkDefaults })),
    cloudfront: () => memo('cloudfront', () => new CloudFrontClient({ region: 'us-east-1', ...sdkDefaults })),
  };
}
