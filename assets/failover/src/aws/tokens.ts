// The tokens step on AWS. With COGNITO_REPLICA=true the user pool has a replica in the secondary region, which
// starts INACTIVE and serves end users (token requests) only once ACTIVE. Moving to the secondary activates it
// with UpdateUserPoolReplica, sent to the secondary's own Cognito endpoint: Cognito accepts the call in either
// region, and the primary's may be the one that is down. Moving to the primary, or with no replica, changes nothing.
// https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-multi-region.html
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UpdateUserPoolReplica.html
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UserPoolReplicaType.html
import {
  ListUserPoolReplicasCommand,
  UpdateUserPoolReplicaCommand,
  type UserPoolReplicaType,
} from '@aws-sdk/client-cognito-identity-provider';
import { ACCESS_TOKEN_VALIDITY_MINUTES } from '#routes';
import { waitUntil, type Clock } from '../clock';
import type { Move, StepOptions, StepOutcome } from '../driver';
import { FailoverError } from '../errors';
import type { AwsContext } from './discover';

export interface TokenSettings {
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly pollInitialMs: number;
  readonly pollMaxMs: number;
}

async function replicaIn(ctx: AwsContext, region: string, userPoolId: string): Promise<UserPoolReplicaType | undefined> {
  const found: UserPoolReplicaType[] = [];
  let next: string | undefined;
  do {
    const command = new ListUserPoolReplicasCommand({ UserPoolId: userPoolId, NextToken: next });
    const out = await ctx.caller.run('cognito-idp', region, command, () => ctx.clients.cognito(region).send(command));
    found.push(...(out.UserPoolReplicas ?? []));
    next = out.NextToken;
  } while (next);
  return found.find((r) => r.RegionName === region);
}

export async function ensureTokens(ctx: AwsContext, move: Move, options: StepOptions, settings: TokenSettings): Promise<StepOutcome> {
  const pool = move.topology.userPool;
  const primary = move.topology.regions.pri.region;
  const target = move.topology.regions[move.to].region;
  if (move.to === 'pri') {
    return { alreadyInPlace: true, detail: `tokens come from the user pool in ${primary} (the primary's own)` };
  }
  if (pool?.replicaArn === undefined || pool.userPoolId === undefined) {
    return {
      alreadyInPlace: true,
      detail: `no user pool replica in ${target} (COGNITO_REPLICA not set): tokens come from ${primary} only`,
      notes: [
        `Tokens still come only from the user pool in ${primary}: while ${primary} is down, clients keep working only until ` +
          `their access token expires (at most ${ACCESS_TOKEN_VALIDITY_MINUTES} min after it was issued). ` +
          'COGNITO_REPLICA=true deploys a replica in the secondary that this step activates.',
      ],
    };
  }
  const poolId = pool.userPoolId;
  const before = await replicaIn(ctx, target, poolId);
  if (before === undefined) {
    throw new FailoverError(
      `${pool.replicaArn} is published, but Cognito in ${target} lists no replica of ${poolId} there: ` +
        'check the secondary app stack (COGNITO_REPLICA=true) is deployed.',
      'system',
    );
  }
  if (before.Status === 'ACTIVE') {
    return { alreadyInPlace: true, detail: `the user pool replica in ${target} is already ACTIVE: tokens come from ${target}` };
  }
  if (before.Status !== 'INACTIVE') {
    throw new FailoverError(`the user pool replica in ${target} is ${before.Status}: it can be activated only once INACTIVE`, 'system');
  }
  const command = new UpdateUserPoolReplicaCommand({ UserPoolId: poolId, RegionName: target, Status: 'ACTIVE' });
  await ctx.caller.run('cognito-idp', target, command, () => ctx.clients.cognito(target).send(command));
  options.progress(`asked Cognito in ${target} to activate the replica of ${poolId}`);
  await waitUntil({
    what: `the user pool replica in ${target} to be ACTIVE`,
    read: () => replicaIn(ctx, target, poolId),
    done: (r) => r?.Status === 'ACTIVE',
    describe: (r) => r?.Status ?? 'not listed',
    clock: settings.clock,
    timeoutMs: settings.timeoutMs,
    initialDelayMs: settings.pollInitialMs,
    maxDelayMs: settings.pollMaxMs,
    progress: options.progress,
  });
  return { alreadyInPlace: false, detail: `activated the user pool replica in ${target} (INACTIVE → ACTIVE): tokens come from ${target}` };
}
