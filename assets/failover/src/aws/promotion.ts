// How each failover mode makes the target the writer on Aurora Global Database (the AWS driver's own
// per-mode record, beside the mode table in ../modes.ts), and where a promotion stands now.
import {
  FailoverGlobalClusterCommand,
  RemoveFromGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { FailoverMode, RegionRole } from '#names';
import type { Move } from '../driver';
import { describeCluster, describeGlobalCluster, roleOfClusterArn, type AwsContext } from './discover';

export interface AwsPromotion {
  /** The plan's promote line. */
  readonly describe: string;
  /** The region the call is sent to. */
  readonly sentTo: 'primary' | 'target';
  /** Sends the call; `targetArn` because RemoveFromGlobalCluster wants an ARN and the others accept one. */
  readonly start: (ctx: AwsContext, region: string, globalClusterId: string, targetArn: string) => Promise<unknown>;
  readonly started: (clusterId: string, region: string) => string;
  /**
   * A detach makes the target a standalone writer at once, then the cluster is busy for a while: a run that
   * finds it so resumes that detach. After the other modes a busy writer just has not settled yet.
   */
  readonly busyWriterIsUnderWay: boolean;
  /** How the old primary stands afterwards and how to move back. */
  readonly notesAfter: (move: Move) => string[];
}

const send = <T>(ctx: AwsContext, region: string, command: object, call: (rds: RDSClient) => Promise<T>): Promise<T> =>
  ctx.caller.run('rds', region, command, () => call(ctx.clients.rds(region)));

export const AWS_PROMOTIONS: Readonly<Record<FailoverMode, AwsPromotion>> = {
  switchover: {
    describe: 'SwitchoverGlobalCluster (planned, no data loss), sent to the current primary region',
    // Planned: Aurora syncs the secondary first (RPO 0); the call goes to the current primary's region.
    sentTo: 'primary',
    start: (ctx, region, global, targetArn) => {
      const command = new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier: global, TargetDbClusterIdentifier: targetArn });
      return send(ctx, region, command, (rds) => rds.send(command));
    },
    started: (clusterId, region) => `SwitchoverGlobalCluster to ${clusterId} (${region}) started`,
    busyWriterIsUnderWay: false,
    notesAfter: ({ topology, from }) => {
      const old = topology.regions[from];
      return [`${old.clusterId} in ${old.region} is now a read-only secondary; fail back with the same command (or --to ${old.region}).`];
    },
  },
  failover: {
    describe: 'FailoverGlobalCluster with AllowDataLoss, sent to the target region only',
    // Unplanned: sent to the target's region and never needs the old primary to answer.
    sentTo: 'target',
    start: (ctx, region, global, targetArn) => {
      const command = new FailoverGlobalClusterCommand({
        GlobalClusterIdentifier: global,
        TargetDbClusterIdentifier: targetArn,
        AllowDataLoss: true,
      });
      return send(ctx, region, command, (rds) => rds.send(command));
    },
    started: (clusterId, region) => `FailoverGlobalCluster with AllowDataLoss to ${clusterId} (${region}) started`,
    busyWriterIsUnderWay: false,
    notesAfter: ({ topology, from }) => {
      const old = topology.regions[from];
      return [
        `${old.clusterId} in ${old.region} was not contacted. When its region recovers, Aurora re-adds it to ` +
          `${topology.globalClusterId} as a read-only secondary (it does not take writes again); writes it had not ` +
          'replicated stay in the snapshot Aurora takes of it (rds:unplanned-global-failover-…).',
        'Fail back only once it shows as a secondary and in sync: that is a planned switchover, ' +
          `\`npm run failover -- --mode switchover --to ${old.region}\`.`,
      ];
    },
  },
  detach: {
    describe: 'RemoveFromGlobalCluster: becomes a standalone writer',
    sentTo: 'target',
    start: (ctx, region, global, targetArn) => {
      const command = new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: global, DbClusterIdentifier: targetArn });
      return send(ctx, region, command, (rds) => rds.send(command));
    },
    started: (clusterId, region) => `RemoveFromGlobalCluster for ${clusterId} (${region}) started`,
    busyWriterIsUnderWay: true,
    notesAfter: ({ topology, from, to }) => {
      const old = topology.regions[from];
      return [
        `${topology.regions[to].clusterId} is now a standalone cluster outside ${topology.globalClusterId}; ` +
          `replication from ${old.region} has stopped for good.`,
        `${old.clusterId} in ${old.region} is still a writer: stop anything that writes to it, or its data diverges. ` +
          'Re-establishing replication means rebuilding a global database from the new writer (redeploy the stacks); ' +
          'prefer --mode failover, which keeps the global database.',
      ];
    },
  },
};

export interface PromotionState {
  readonly targetIsWriter: boolean;
  readonly targetStatus: string;
  readonly targetAvailable: boolean;
  readonly globalStatus: string;
  /** No switchover or failover is scheduled or in progress (FailoverState is empty), or the target left the global cluster. */
  readonly noOperation: boolean;
  /** FailoverState.Status: `pending`, `switching-over`, `failing-over` or `cancelling`. */
  readonly pending?: string;
  readonly pendingTo?: RegionRole;
  readonly pendingFrom?: RegionRole;
}

/**
 * Promotion is done when the target is the writer, available, and no operation is under way. The RDS API
 * reference says FailoverState "is empty unless a switchover or failover operation is scheduled or is in
 * progress". The global cluster's own Status is not required to be `available`: after a data-loss failover
 * with the old primary's region down, Aurora re-adds and rebuilds that member only once its region recovers
 * ("a few minutes to several hours", Aurora user guide, "Using switchover or failover in Amazon Aurora
 * Global Database"), and the new writer takes writes meanwhile.
 */
export const promotionDone = (s: PromotionState) => s.targetIsWriter && s.targetAvailable && s.noOperation;

/** Every read goes to the target's region: it is the one that must be up. */
export async function readPromotion(ctx: AwsContext, move: Move): Promise<PromotionState> {
  const target = move.topology.regions[move.to];
  const global = await describeGlobalCluster(ctx, target.region, move.topology.globalClusterId);
  const cluster = await describeCluster(ctx, move.to, target.clusterId, 'discovery');
  const member = global.GlobalClusterMembers?.find((m) => roleOfClusterArn(ctx, m.DBClusterArn) === move.to);
  const failover = global.FailoverState;
  const under = failover?.Status ? failover : undefined;
  const detached = member === undefined && !cluster.GlobalClusterIdentifier;
  return {
    targetIsWriter: detached ? true : member?.IsWriter === true,
    targetStatus: cluster.Status ?? 'unknown',
    targetAvailable: cluster.Status === 'available',
    globalStatus: global.Status ?? 'unknown',
    // After a detach the global cluster's operations no longer concern the target.
    noOperation: detached || under === undefined,
    pending: under?.Status,
    pendingTo: under ? roleOfClusterArn(ctx, under.ToDbClusterArn) : undefined,
    pendingFrom: under ? roleOfClusterArn(ctx, under.FromDbClusterArn) : undefined,
  };
}
