// The fixed facts of the simulated deployment (regions, account, ids, the distribution as deployed),
// shared by the fake's state, its service routes and the tests that assert on them.
import type { DistributionConfig } from '@aws-sdk/client-cloudfront';
import { REGION_ROLES, clusterId, type RegionRole } from '#names';

export const REGIONS: Record<RegionRole, string> = { pri: 'us-east-1', secd: 'us-east-2' };
export const ACCOUNT = '123456789012';
export const DISTRIBUTION_ID = 'E2EXAMPLE123';
export const API_DOMAIN: Record<RegionRole, string> = {
  pri: 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com',
  secd: 'f6g7h8i9j0.execute-api.us-east-2.amazonaws.com',
};
/** The distribution's own host name (its DomainName); the stacks publish it as `edge-domain`. */
export const EDGE_DOMAIN = 'd111111abcdef8.cloudfront.net';
/** The edge's KeyValueStore; both regions publish it as `kvs-arn`. */
export const KVS_ARN = `arn:aws:cloudfront::123456789012:key-value-store/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;
/** The user pool (in the primary region) and its replica's ARN in the secondary (COGNITO_REPLICA=true). */
export const USER_POOL_ID = 'us-east-1_EXAMPLE';
export const REPLICA_ARN = `arn:aws:cognito-idp:us-east-2:123456789012:userpool/${USER_POOL_ID}`;
export const clusterArn = (role: RegionRole) => `arn:aws:rds:${REGIONS[role]}:${ACCOUNT}:cluster:${clusterId(role)}`;
export const roleOfArn = (arn: string | undefined) => REGION_ROLES.find((r) => clusterArn(r) === arn);
export const roleIn = (region: string): RegionRole | undefined => REGION_ROLES.find((r) => REGIONS[r] === region);

/** An SDK service error as the SDK throws it: `name` is the AWS error code. */
export const fault = (name: string, message = name, extra: object = {}) =>
  Object.assign(new Error(message), { name, $metadata: {} }, extra);

/** A realistic distribution: API origin plus a second origin and settings that must survive untouched. */
export function initialDistributionConfig(): DistributionConfig {
  return {
    CallerReference: 'todomgmt-app-pri-2026',
    Comment: 'ToDoMgmt API',
    Enabled: true,
    HttpVersion: 'http2and3',
    PriceClass: 'PriceClass_100',
    Aliases: { Quantity: 0, Items: [] },
    DefaultRootObject: '',
    Origins: {
      Quantity: 2,
      Items: [
        {
          Id: 'ToDoMgmtApiOrigin',
          DomainName: API_DOMAIN.pri,
          OriginPath: '/prod',
          CustomHeaders: { Quantity: 1, Items: [{ HeaderName: 'x-origin-verify', HeaderValue: 'kept-secret-value' }] },
          CustomOriginConfig: {
            HTTPPort: 80,
            HTTPSPort: 443,
            OriginProtocolPolicy: 'https-only',
            OriginSslProtocols: { Quantity: 1, Items: ['TLSv1.2'] },
            OriginReadTimeout: 30,
            OriginKeepaliveTimeout: 5,
          },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
          OriginShield: { Enabled: false },
        },
        {
          Id: 'StaticErrorPages',
          DomainName: 'todomgmt-errors.s3.us-east-1.amazonaws.com',
          OriginPath: '',
          CustomHeaders: { Quantity: 0, Items: [] },
          S3OriginConfig: { OriginAccessIdentity: '' },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
        },
      ],
    },
    DefaultCacheBehavior: {
      TargetOriginId: 'ToDoMgmtApiOrigin',
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: {
        Quantity: 7,
        Items: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] },
      },
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
      Compress: true,
    },
    CacheBehaviors: { Quantity: 0, Items: [] },
    ViewerCertificate: { CloudFrontDefaultCertificate: true, MinimumProtocolVersion: 'TLSv1.2_2021' },
    Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: 0 } },
    WebACLId: '',
    Logging: { Enabled: false, IncludeCookies: false, Bucket: '', Prefix: '' },
  };
}
