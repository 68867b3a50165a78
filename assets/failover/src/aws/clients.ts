// One SDK client per service and region, created on first use so that a region the run must not touch
// (the old primary in an unplanned failover) never even gets a client.
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { RDSClient } from '@aws-sdk/client-rds';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SignatureV4a } from '@aws-sdk/signature-v4a';

export interface AwsClients {
  rds(region: string): RDSClient;
  ssm(region: string): SSMClient;
  cloudwatch(region: string): CloudWatchClient;
  /** CloudFront's control plane is global (served from us-east-1) whatever region the client names. */
  cloudfront(): CloudFrontClient;
  /**
   * The KeyValueStore data plane: one global endpoint, `https://<account>.cloudfront-kvs.global.api.aws`
   * (the SDK's endpoint rules derive it from the store's ARN), signed with SigV4A for region set `*`.
   */
  kvs(): CloudFrontKeyValueStoreClient;
  cognito(region: string): CognitoIdentityProviderClient;
}

/**
 * The KVS client signs with SigV4A; the SDK finds the pure-JS signer only once `@aws-sdk/signature-v4a` is
 * loaded, and without it silently falls back to SigV4, which the KVS endpoint rejects. Naming the class here
 * keeps the import (and its registration) in the bundle.
 */
export const sigv4aSigner = (): typeof SignatureV4a => {
  if (typeof SignatureV4a !== 'function') throw new Error('@aws-sdk/signature-v4a is not loaded: the KeyValueStore client cannot sign');
  return SignatureV4a;
};

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
  sigv4aSigner();
  return {
    rds: (region) => memo(`rds:${region}`, () => new RDSClient({ region, ...sdkDefaults })),
    ssm: (region) => memo(`ssm:${region}`, () => new SSMClient({ region, ...sdkDefaults })),
    cloudwatch: (region) => memo(`cloudwatch:${region}`, () => new CloudWatchClient({ region, ...sdkDefaults })),
    cloudfront: () => memo('cloudfront', () => new CloudFrontClient({ region: 'us-east-1', ...sdkDefaults })),
    // The region only satisfies the SDK: the endpoint is global and the signature covers every region (`*`).
    kvs: () => memo('kvs', () => new CloudFrontKeyValueStoreClient({ region: 'us-east-1', ...sdkDefaults })),
    cognito: (region) => memo(`cognito:${region}`, () => new CognitoIdentityProviderClient({ region, ...sdkDefaults })),
  };
}
