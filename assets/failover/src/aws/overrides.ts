// The original article's environment variables, kept so that its runbooks still work. They describe
// the deployed pri → secd pair: SRC_* name the pri region's resources, TARGET_* and
// CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME the secd region's. They apply whichever way a run moves.
import type { Env } from '#config';
import type { RegionRole } from '#names';
import { UsageError } from '../errors';

export interface AwsOverrides {
  readonly clusterId: Partial<Record<RegionRole, string>>;
  readonly proxyName: Partial<Record<RegionRole, string>>;
  readonly apiOriginDomain: Partial<Record<RegionRole, string>>;
  readonly distributionId?: string;
  /** The edge's KeyValueStore (`arn:aws:cloudfront::<account>:key-value-store/<id>`). */
  readonly kvsArn?: string;
}

export const NO_OVERRIDES: AwsOverrides = { clusterId: {}, proxyName: {}, apiOriginDomain: {} };

const value = (env: Env, key: string) => env[key]?.trim() || undefined;

export function overridesFromEnv(env: Env): AwsOverrides {
  const domain = value(env, 'CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME');
  if (domain !== undefined && !/^[a-z0-9.-]+$/i.test(domain)) {
    throw new UsageError(
      `CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME=${domain} must be a bare host name (no https://, no path), ` +
        'e.g. abc123.execute-api.us-east-2.amazonaws.com',
    );
  }
  return {
    clusterId: { pri: value(env, 'SRC_CLUSTER_ID'), secd: value(env, 'TARGET_CLUSTER_ID') },
    proxyName: { pri: value(env, 'SRC_RDS_PROXY_NAME'), secd: value(env, 'TARGET_RDS_PROXY_NAME') },
    apiOriginDomain: { secd: domain },
    distributionId: value(env, 'CLOUDFRONT_DISTRIBUTION_ID'),
    kvsArn: value(env, 'CLOUDFRONT_KVS_ARN'),
  };
}

/** The env var that overrides a fact, for error messages. */
export const OVERRIDE_VARIABLE = {
  clusterId: { pri: 'SRC_CLUSTER_ID', secd: 'TARGET_CLUSTER_ID' },
  proxyName: { pri: 'SRC_RDS_PROXY_NAME', secd: 'TARGET_RDS_PROXY_NAME' },
  apiOriginDomain: { pri: undefined, secd: 'CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME' },
  distributionId: 'CLOUDFRONT_DISTRIBUTION_ID',
  kvsArn: 'CLOUDFRONT_KVS_ARN',
} as const;
