// The traffic step on AWS, two ways (`--traffic`):
// - kvs (default): write the target API's host into the edge's KeyValueStore key. A data-plane call on a
//   global endpoint, no distribution deployment: the edge locations read the new value within seconds.
// - origin-swap (the original article's): change the distribution's API origin with UpdateDistribution,
//   CloudFront's control plane in us-east-1, then wait for the deployment (minutes). A key naming another
//   host would override the swap at the edge, so the key is deleted afterwards.
// https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/global-services.html
import { GetDistributionCommand, GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { CLOUDFRONT_CONTROL_PLANE_REGION, EDGE_ORIGIN_KEY } from '#names';
import { waitUntil, type Clock } from '../clock';
import type { Move, StepOptions, StepOutcome, TrafficOptions } from '../driver';
import { FailoverError } from '../errors';
import { AwsCallError } from './aws-call';
import { findApiOrigin, withOriginDomain } from './cloudfront-origin';
import { knownDomains, type AwsContext } from './discover';
import { OVERRIDE_VARIABLE } from './overrides';
import { writeEdgeKey } from './kvs';

export interface TrafficSettings {
  readonly clock: Clock;
  readonly deployMs: number;
  readonly pollInitialMs: number;
  readonly pollMaxMs: number;
  readonly maxEtagRetries: number;
}

/** What the plan prints for the traffic step: which AWS plane it calls, and where. */
export const TRAFFIC_PLANES = {
  kvs: 'CloudFront KeyValueStore data plane (global endpoint <account>.cloudfront-kvs.global.api.aws, no deployment)',
  'origin-swap': `CloudFront control plane (${CLOUDFRONT_CONTROL_PLANE_REGION}: UpdateDistribution, then a deployment of minutes)`,
} as const;

function targetDomain(move: Move): string {
  const domain = move.topology.regions[move.to].apiOriginDomain;
  if (!domain) {
    throw new FailoverError(
      `The API domain of ${move.topology.regions[move.to].region} is unknown: ` +
        'publish api-domain in SSM or set CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME.',
      'user',
    );
  }
  return domain;
}

const noStore = (method: string) =>
  new FailoverError(
    `--traffic ${method}: no KeyValueStore is known (no kvs-arn SSM parameter in the regions read). Set ` +
      `${OVERRIDE_VARIABLE.kvsArn}, deploy the app stacks that create it, or use --traffic origin-swap.`,
    'user',
  );

/**
 * The key always names the target's host, the primary's too when moving back: deleting it would hand the
 * decision to the configured origin, which an earlier origin-swap may have left on the secondary.
 */
export async function switchByKey(ctx: AwsContext, move: Move, options: TrafficOptions, settings: TrafficSettings): Promise<StepOutcome> {
  const host = targetDomain(move);
  const store = move.topology.edgeKey?.storeArn;
  if (store === undefined) throw noStore('kvs');
  const change = await writeEdgeKey(ctx, store, host, settings.maxEtagRetries, options.progress);
  if (!change.changed) {
    return { alreadyInPlace: true, detail: `edge key ${EDGE_ORIGIN_KEY} already names ${host} (KeyValueStore, no deployment)` };
  }
  return {
    alreadyInPlace: false,
    detail:
      `edge key ${EDGE_ORIGIN_KEY}: ${change.before ?? '(absent: the configured origin)'} → ${host}; ` +
      'KeyValueStore data plane, no distribution deployment: the edge locations read it within seconds',
  };
}

/** Refuses before anything changes: the traffic step must not depend on the region being failed away from. */
export function originSwapRefusal(move: Move): string | undefined {
  if (move.mode !== 'detach' && move.mode !== 'failover') return undefined;
  if (move.topology.regions[move.from].region !== CLOUDFRONT_CONTROL_PLANE_REGION) return undefined;
  return (
    `--traffic origin-swap calls CloudFront's control plane in ${CLOUDFRONT_CONTROL_PLANE_REGION}, the region this ` +
    `${move.mode} leaves because it is failing: use --traffic kvs (the KeyValueStore data plane does not depend on it)`
  );
}

export async function switchByOriginSwap(
  ctx: AwsContext,
  move: Move,
  options: TrafficOptions,
  settings: TrafficSettings,
): Promise<StepOutcome> {
  const distributionId = move.topology.edgeId;
  const newDomain = targetDomain(move);
  const { originId, changedFrom } = await pointApiOrigin(ctx, move, newDomain, options, settings);
  let detail =
    changedFrom !== undefined ? `origin ${originId}: ${changedFrom} → ${newDomain}` : `origin ${originId} already points at ${newDomain}`;
  // A key present at the edge decides over the configured origin: delete it, so the swap is what clients get.
  const store = move.topology.edgeKey?.storeArn;
  let keyRemoved = false;
  if (store !== undefined) {
    try {
      const change = await writeEdgeKey(ctx, store, undefined, settings.maxEtagRetries, options.progress);
      keyRemoved = change.changed;
      if (change.changed) detail += `; deleted the edge key ${EDGE_ORIGIN_KEY} (was ${change.before}), which overrode the origin`;
    } catch (error) {
      throw new FailoverError(
        `The origin now points at ${newDomain}, but the edge key ${EDGE_ORIGIN_KEY} in ${store} could not be removed and ` +
          `still decides where requests go: ${(error as Error).message}. Run again, or use --traffic kvs.`,
        'system',
        { cause: error },
      );
    }
  }
  if (options.wait) {
    const cloudfront = ctx.clients.cloudfront();
    const status = await waitUntil({
      what: `CloudFront distribution ${distributionId} to be Deployed`,
      read: async () => {
        const command = new GetDistributionCommand({ Id: distributionId });
        const out = await ctx.caller.run('cloudfront', 'global', command, () => cloudfront.send(command));
        return out.Distribution?.Status ?? 'unknown';
      },
      done: (s) => s === 'Deployed',
      describe: (s) => s,
      clock: settings.clock,
      timeoutMs: settings.deployMs,
      initialDelayMs: Math.max(settings.pollInitialMs, 10_000),
      maxDelayMs: settings.pollMaxMs,
      progress: options.progress,
    });
    detail += `; ${status}`;
  } else {
    detail += '; not waiting for Deployed (--no-wait)';
  }
  return { alreadyInPlace: changedFrom === undefined && !keyRemoved, detail };
}

/** Read-modify-write of the distribution config with IfMatch, re-read when someone else changed it meanwhile. */
async function pointApiOrigin(
  ctx: AwsContext,
  move: Move,
  newDomain: string,
  options: StepOptions,
  settings: TrafficSettings,
): Promise<{ readonly originId: string; readonly changedFrom?: string }> {
  const distributionId = move.topology.edgeId;
  const cloudfront = ctx.clients.cloudfront();
  const domains = [...knownDomains(move.topology.regions), newDomain];
  for (let attempt = 1; ; attempt++) {
    const get = new GetDistributionConfigCommand({ Id: distributionId });
    let current;
    try {
      current = await ctx.caller.run('cloudfront', 'global', get, () => cloudfront.send(get));
    } catch (error) {
      if (error instanceof AwsCallError && (error.kind === 'unreachable' || error.kind === 'server-error')) {
        throw new FailoverError(
          `--traffic origin-swap: CloudFront's control plane (${CLOUDFRONT_CONTROL_PLANE_REGION}) did not serve ` +
            `GetDistributionConfig: ${error.message}. Use --traffic kvs, which does not need it.`,
          'system',
          { cause: error },
        );
      }
      throw error;
    }
    if (!current.DistributionConfig || !current.ETag) {
      throw new FailoverError(`CloudFront returned no config or ETag for ${distributionId}`, 'system');
    }
    const origin = findApiOrigin(distributionId, current.DistributionConfig, domains, Object.values(ctx.regions));
    const originId = origin.Id!;
    if (origin.DomainName === newDomain) return { originId };
    const update = new UpdateDistributionCommand({
      Id: distributionId,
      IfMatch: current.ETag,
      DistributionConfig: withOriginDomain(current.DistributionConfig, originId, newDomain),
    });
    try {
      await ctx.caller.run('cloudfront', 'global', update, () => cloudfront.send(update));
      return { originId, changedFrom: origin.DomainName! };
    } catch (error) {
      if (!(error instanceof AwsCallError && error.kind === 'conflict' && attempt < settings.maxEtagRetries)) throw error;
      options.progress(`distribution ${distributionId} changed since it was read (ETag ${current.ETag}); re-reading and retrying`);
    }
  }
}
