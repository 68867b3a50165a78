// The edge's KeyValueStore: one key (EDGE_ORIGIN_KEY) names the API host the viewer-request CloudFront
// Function sends each request to (absent = the distribution's configured origin). Its API is a data plane
// served from one global endpoint (`<account>.cloudfront-kvs.global.api.aws`, SigV4A), not CloudFront's
// control plane in us-east-1, and a change reaches the edge locations in seconds with no deployment.
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/kvs-with-functions.html
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_kvs_PutKey.html
import { DeleteKeyCommand, DescribeKeyValueStoreCommand, GetKeyCommand, PutKeyCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { EDGE_ORIGIN_KEY } from '#names';
import { FailoverError } from '../errors';
import { AwsCallError } from './aws-call';
import type { AwsContext } from './discover';

const SERVICE = 'cloudfront-keyvaluestore';
const REGION = 'global';

/** The key's value, or undefined when the key is absent (GetKey answers ResourceNotFoundException). */
export async function readEdgeKey(ctx: AwsContext, storeArn: string): Promise<string | undefined> {
  const command = new GetKeyCommand({ KvsARN: storeArn, Key: EDGE_ORIGIN_KEY });
  try {
    const out = await ctx.caller.run(SERVICE, REGION, command, () => ctx.clients.kvs().send(command));
    return out.Value;
  } catch (error) {
    if (error instanceof AwsCallError && error.kind === 'not-found') return undefined;
    throw error;
  }
}

/** The store's current ETag: every write is conditional on it (IfMatch). */
async function storeEtag(ctx: AwsContext, storeArn: string): Promise<string> {
  const command = new DescribeKeyValueStoreCommand({ KvsARN: storeArn });
  const out = await ctx.caller.run(SERVICE, REGION, command, () => ctx.clients.kvs().send(command));
  if (!out.ETag) throw new FailoverError(`DescribeKeyValueStore returned no ETag for ${storeArn}`, 'system');
  return out.ETag;
}

export interface KeyChange {
  /** The value before: undefined = the key was absent. */
  readonly before?: string;
  /** false: it already was what was asked (a rerun). */
  readonly changed: boolean;
}

/**
 * Sets the key to `host` (or deletes it when `host` is undefined), conditional on the ETag just read. Another
 * writer between read and write makes it a ConflictException: re-read and try again, at most `maxAttempts`.
 */
export async function writeEdgeKey(
  ctx: AwsContext,
  storeArn: string,
  host: string | undefined,
  maxAttempts: number,
  progress: (message: string) => void,
): Promise<KeyChange> {
  for (let attempt = 1; ; attempt++) {
    const etag = await storeEtag(ctx, storeArn);
    const before = await readEdgeKey(ctx, storeArn);
    if (before === host) return { before, changed: false };
    try {
      if (host === undefined) {
        const command = new DeleteKeyCommand({ KvsARN: storeArn, Key: EDGE_ORIGIN_KEY, IfMatch: etag });
        await ctx.caller.run(SERVICE, REGION, command, () => ctx.clients.kvs().send(command));
      } else {
        const command = new PutKeyCommand({ KvsARN: storeArn, Key: EDGE_ORIGIN_KEY, Value: host, IfMatch: etag });
        await ctx.caller.run(SERVICE, REGION, command, () => ctx.clients.kvs().send(command));
      }
      return { before, changed: true };
    } catch (error) {
      if (error instanceof AwsCallError && error.kind === 'conflict' && attempt < maxAttempts) {
        progress(`KeyValueStore changed since it was read (ETag ${etag}); re-reading and retrying`);
        continue;
      }
      if (error instanceof AwsCallError && error.kind === 'conflict') {
        throw new FailoverError(
          `The KeyValueStore ${storeArn} changed between read and write ${attempt} times: someone else is writing it. ` +
            'Find out who, then run again.',
          'system',
          { cause: error },
        );
      }
      if (error instanceof AwsCallError && error.kind === 'not-found') {
        throw new FailoverError(
          `Unknown KeyValueStore ${storeArn}: fix CLOUDFRONT_KVS_ARN or the kvs-arn SSM parameter. (${error.message})`,
          'user',
          { cause: error },
        );
      }
      throw error;
    }
  }
}
