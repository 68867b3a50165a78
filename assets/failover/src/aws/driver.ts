// The FailoverDriver for AWS: Aurora Global Database, RDS Proxy, CloudFront. Each step reads the
// current state first and only acts when needed, so a re-run is a no-op and a killed run resumes.
import { GetDistributionCommand, GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDBProxyTargetsCommand,
  FailoverGlobalClusterCommand,
  RegisterDBProxyTargetsCommand,
  RemoveFromGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
  type DBProxyTarget,
} from '@aws-sdk/client-rds';
import type { RegionRole } from '#names';
import { realClock, waitUntil, type Clock } from '../clock';
import type { DiscoverRequest, FailoverDriver, FailoverMode, Move, StepOptions, StepOutcome, Topology } from '../driver';
import { AwsCallError, AwsCaller, DEFAULT_RETRY, type RetryPolicy } from './aws-call';
import { createAwsClients, type AwsClients } from './clients';
import { findApiOrigin, withOriginDomain } from './cloudfront-origin';
import { describeCluster, describeGlobalCluster, discover, knownDomains, roleOfClusterArn, type AwsContext } from './discover';
import { NO_OVERRIDES, OVERRIDE_VARIABLE, type AwsOverrides } from './overrides';

export interface AwsTimeouts {
  readonly promoteMs: number;
  readonly proxyMs: number;
  readonly deployMs: number;
  readonly pollInitialMs: number;
  readonly pollMaxMs: number;
}

/** Switchovers of small clusters take a few minutes; CloudFront deployments up to ~15. */
export const DEFAULT_TIMEOUTS: AwsTimeouts = {
  promoteMs: 30 * 60_000,
  proxyMs: 15 * 60_000,
  deployMs: 30 * 60_000,
  pollInitialMs: 5_000,
  pollMaxMs: 30_000,
};

export interface AwsDriverProps {
  readonly regions: Readonly<Record<RegionRole, string>>;
  readonly overrides?: AwsOverrides;
  readonly clients?: AwsClients;
  readonly clock?: Clock;
  readonly retry?: RetryPolicy;
  readonly timeouts?: Partial<AwsTimeouts>;
  /** Conditional-update retries when someone else changes the distribution between read and write. */
  readonly maxEtagRetries?: number;
}

const PROXY_TARGET_GROUP = 'default';

export class AwsFailoverDriver implements FailoverDriver {
  readonly name = 'aws';
  readonly modes: readonly FailoverMode[] = ['switchover', 'failover', 'detach'];
  readonly regionNames: Readonly<Record<RegionRole, string>>;
  readonly caller: AwsCaller;
  private readonly ctx: AwsContext;
  private readonly clock: Clock;
  private readonly timeouts: AwsTimeouts;
  private readonly maxEtagRetries: number;

  describePromotion(mode: FailoverMode): string {
    switch (mode) {
      case 'switchover':
        return 'SwitchoverGlobalCluster (planned, no data loss), sent to the current primary region';
      case 'failover':
        return 'FailoverGlobalCluster with AllowDataLoss, sent to the target region only';
      case 'detach':
        return 'RemoveFromGlobalCluster: becomes a standalone writer';
    }
  }

  constructor(props: AwsDriverProps) {
    this.clock = props.clock ?? realClock;
    this.caller = new AwsCaller(this.clock, props.retry ?? DEFAULT_RETRY);
    this.regionNames = props.regions;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...props.timeouts };
    this.maxEtagRetries = props.maxEtagRetries ?? 5;
    this.ctx = {
      regions: props.regions,
      clients: props.clients ?? createAwsClients(),
      caller: this.caller,
      overrides: props.overrides ?? NO_OVERRIDES,
    };
  }

  discover(request: DiscoverRequest): Promise<Topology> {
    return discover(this.ctx, request);
  }

  async replicationLagSeconds(move: Move): Promise<number | undefined> {
    const target = move.topology.regions[move.to];
    const end = new Date(this.clock.now());
    const start = new Date(end.getTime() - 10 * 60_000);
    const command = new GetMetricDataCommand({
      StartTime: start,
      EndTime: end,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'lag',
          // Aurora MySQL reports this on each secondary cluster, in milliseconds, in the secondary's region.
          MetricStat: {
            Metric: {
              Namespace: 'AWS/RDS',
              MetricName: 'AuroraGlobalDBReplicationLag',
              Dimensions: [{ Name: 'DBClusterIdentifier', Value: target.clusterId }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    });
    const out = await this.caller.run('cloudwatch', target.region, command, () => this.ctx.clients.cloudwatch(target.region).send(command));
    const latest = out.MetricDataResults?.[0]?.Values?.[0];
    return latest === undefined ? undefined : latest / 1000;
  }

  async promote(move: Move, options: StepOptions): Promise<StepOutcome> {
    const target = move.topology.regions[move.to];
    const from = move.topology.regions[move.from];
    // Every read of the promotion goes to the target's region: it is the one that must be up.
    const read = () => this.readPromotion(move);
    const before = await read();
    const done = (s: PromotionState) => s.targetIsWriter && s.globalIdle && s.targetAvailable;
    const notes = notesAfter(move);
    if (done(before)) {
      return { alreadyInPlace: true, detail: `${target.clusterId} in ${target.region} is already the writer`, notes };
    }
    if (before.pendingTo !== undefined && before.pendingTo !== target.role) {
      throw new Error(
        `The global cluster ${move.topology.globalClusterId} is already ${before.pending} towards ${before.pendingTo}: ` +
          'wait for it to finish (or cancel it in the console), then run again.',
      );
    }
    let detail: string;
    if (before.pendingTo === target.role || (move.mode === 'detach' && before.targetIsWriter && !before.targetAvailable)) {
      detail = `resumed: ${before.pending ?? before.targetStatus} already under way for ${target.clusterId}`;
      options.progress(detail);
    } else if (!before.targetIsWriter) {
      const arn = target.clusterArn;
      if (!arn) throw new Error(`No ARN known for ${target.clusterId} in ${target.region}: cannot promote it.`);
      await this.startPromotion(move, arn, from.region, target.region);
      detail = startedDetail(move, target.clusterId, target.region);
      options.progress(detail);
    } else {
      detail = `${target.clusterId} is writer; waiting until available`;
    }
    await waitUntil({
      what: `${target.clusterId} to become the available writer`,
      read,
      done,
      describe: (s) => `writer=${s.targetIsWriter} cluster=${s.targetStatus} global=${s.pending ?? s.globalStatus}`,
      clock: this.clock,
      timeoutMs: this.timeouts.promoteMs,
      initialDelayMs: this.timeouts.pollInitialMs,
      maxDelayMs: this.timeouts.pollMaxMs,
      progress: options.progress,
    });
    return { alreadyInPlace: false, detail: `${detail}; ${target.clusterId} is the available writer`, notes };
  }

  private async startPromotion(move: Move, targetArn: string, fromRegion: string, targetRegion: string): Promise<void> {
    const global = move.topology.globalClusterId;
    const rds = this.ctx.clients.rds;
    try {
      switch (move.mode) {
        case 'switchover': {
          // Planned: Aurora syncs the secondary first (RPO 0); the call goes to the current primary's region.
          const command = new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier: global, TargetDbClusterIdentifier: targetArn });
          await this.caller.run('rds', fromRegion, command, () => rds(fromRegion).send(command));
          return;
        }
        case 'failover': {
          // Unplanned: sent to the target's region and never needs the old primary to answer.
          const command = new FailoverGlobalClusterCommand({
            GlobalClusterIdentifier: global,
            TargetDbClusterIdentifier: targetArn,
            AllowDataLoss: true,
          });
          await this.caller.run('rds', targetRegion, command, () => rds(targetRegion).send(command));
          return;
        }
        case 'detach': {
          const command = new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: global, DbClusterIdentifier: targetArn });
          await this.caller.run('rds', targetRegion, command, () => rds(targetRegion).send(command));
          return;
        }
      }
    } catch (error) {
      // A concurrent or earlier run may have started the same operation a moment ago: re-read and wait.
      if (error instanceof AwsCallError && /InvalidGlobalClusterState|InvalidDBClusterState/.test(String((error.cause as Error)?.name))) {
        const state = await this.readPromotion(move);
        if (state.pendingTo === move.to || state.targetIsWriter) return;
      }
      throw error;
    }
  }

  private async readPromotion(move: Move): Promise<PromotionState> {
    const target = move.topology.regions[move.to];
    const global = await describeGlobalCluster(this.ctx, target.region, move.topology.globalClusterId);
    const cluster = await describeCluster(this.ctx, move.to, target.clusterId, 'discovery');
    const member = global.GlobalClusterMembers?.find((m) => roleOfClusterArn(this.ctx, m.DBClusterArn) === move.to);
    const failover = global.FailoverState;
    const pendingTo = failover?.Status ? roleOfClusterArn(this.ctx, failover.ToDbClusterArn) : undefined;
    const detached = member === undefined && !cluster.GlobalClusterIdentifier;
    return {
      targetIsWriter: detached ? true : member?.IsWriter === true,
      targetStatus: cluster.Status ?? 'unknown',
      targetAvailable: cluster.Status === 'available',
      globalStatus: global.Status ?? 'unknown',
      // After a detach the global cluster's own state no longer concerns the target.
      globalIdle: detached || (!failover?.Status && (global.Status === undefined || global.Status === 'available')),
      pending: failover?.Status,
      pendingTo,
    };
  }

  async ensureProxy(move: Move, options: StepOptions): Promise<StepOutcome> {
    const target = move.topology.regions[move.to];
    const proxy = target.proxyName;
    if (!proxy) throw new Error(`No RDS Proxy name for ${target.region}: set ${OVERRIDE_VARIABLE.proxyName[move.to]}.`);
    const targets = await this.proxyTargets(move);
    const registered = targets.some((t) => t.Type === 'TRACKED_CLUSTER' && t.RdsResourceId === target.clusterId);
    let detail = `${proxy} already routes to ${target.clusterId}`;
    if (!registered) {
      const command = new RegisterDBProxyTargetsCommand({
        DBProxyName: proxy,
        TargetGroupName: PROXY_TARGET_GROUP,
        DBClusterIdentifiers: [target.clusterId],
      });
      try {
        await this.caller.run('rds', target.region, command, () => this.ctx.clients.rds(target.region).send(command));
      } catch (error) {
        if (!(error instanceof AwsCallError && /AlreadyRegistered/.test(String((error.cause as Error)?.name)))) throw error;
      }
      detail = `registered ${target.clusterId} with ${proxy}`;
      options.progress(detail);
    }
    const writerReady = (ts: DBProxyTarget[]) =>
      ts.some(
        (t) => t.Type === 'RDS_INSTANCE' && t.TargetHealth?.State === 'AVAILABLE' && (t.Role === undefined || t.Role === 'READ_WRITE'),
      );
    const alreadyAvailable = writerReady(targets);
    if (!alreadyAvailable) {
      await waitUntil({
        what: `${proxy}'s writer target to be AVAILABLE`,
        read: () => this.proxyTargets(move),
        done: writerReady,
        describe: (ts) =>
          ts
            .filter((t) => t.Type === 'RDS_INSTANCE')
            .map(
              (t) =>
                `${t.RdsResourceId}:${t.Role ?? '?'}:${t.TargetHealth?.State ?? '?'}${t.TargetHealth?.Reason ? `(${t.TargetHealth.Reason})` : ''}`,
            )
            .join(', ') || 'no instance targets yet',
        clock: this.clock,
        timeoutMs: this.timeouts.proxyMs,
        initialDelayMs: this.timeouts.pollInitialMs,
        maxDelayMs: this.timeouts.pollMaxMs,
        progress: options.progress,
      });
    }
    return {
      alreadyInPlace: registered && alreadyAvailable,
      detail: registered && alreadyAvailable ? `${detail}, writer AVAILABLE` : `${detail}; writer target AVAILABLE`,
    };
  }

  private async proxyTargets(move: Move): Promise<DBProxyTarget[]> {
    const target = move.topology.regions[move.to];
    const all: DBProxyTarget[] = [];
    let marker: string | undefined;
    do {
      const command = new DescribeDBProxyTargetsCommand({
        DBProxyName: target.proxyName,
        TargetGroupName: PROXY_TARGET_GROUP,
        Marker: marker,
      });
      let out;
      try {
        out = await this.caller.run('rds', target.region, command, () => this.ctx.clients.rds(target.region).send(command));
      } catch (error) {
        if (error instanceof AwsCallError && error.kind === 'not-found') {
          throw new Error(
            `Unknown RDS Proxy ${target.proxyName} in ${target.region}: fix ${OVERRIDE_VARIABLE.proxyName[move.to]} or the proxy-name SSM parameter. (${error.message})`,
          );
        }
        throw error;
      }
      all.push(...(out.Targets ?? []));
      marker = out.Marker;
    } while (marker);
    return all;
  }

  async switchTraffic(move: Move, options: StepOptions & { readonly wait: boolean }): Promise<StepOutcome> {
    const { topology } = move;
    const distributionId = topology.edgeId;
    const newDomain = topology.regions[move.to].apiOriginDomain;
    if (!newDomain) {
      throw new Error(
        `The API domain of ${topology.regions[move.to].region} is unknown: publish api-domain in SSM or set CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME.`,
      );
    }
    const cloudfront = this.ctx.clients.cloudfront();
    const regions = Object.values(this.regionNames);
    let changed: { from: string; originId: string } | undefined;
    let originId = '';
    for (let attempt = 1; ; attempt++) {
      const get = new GetDistributionConfigCommand({ Id: distributionId });
      const current = await this.caller.run('cloudfront', 'global', get, () => cloudfront.send(get));
      if (!current.DistributionConfig || !current.ETag) throw new Error(`CloudFront returned no config or ETag for ${distributionId}`);
      const origin = findApiOrigin(distributionId, current.DistributionConfig, [...knownDomains(topology.regions), newDomain], regions);
      originId = origin.Id!;
      if (origin.DomainName === newDomain) break;
      const update = new UpdateDistributionCommand({
        Id: distributionId,
        IfMatch: current.ETag,
        DistributionConfig: withOriginDomain(current.DistributionConfig, originId, newDomain),
      });
      try {
        await this.caller.run('cloudfront', 'global', update, () => cloudfront.send(update));
        changed = { from: origin.DomainName!, originId };
        break;
      } catch (error) {
        if (error instanceof AwsCallError && error.kind === 'conflict' && attempt < this.maxEtagRetries) {
          options.progress(`distribution ${distributionId} changed since it was read (ETag ${current.ETag}); re-reading and retrying`);
          continue;
        }
        throw error;
      }
    }
    let detail = changed ? `origin ${originId}: ${changed.from} → ${newDomain}` : `origin ${originId} already points at ${newDomain}`;
    if (options.wait) {
      const status = await waitUntil({
        what: `CloudFront distribution ${distributionId} to be Deployed`,
        read: async () => {
          const command = new GetDistributionCommand({ Id: distributionId });
          const out = await this.caller.run('cloudfront', 'global', command, () => cloudfront.send(command));
          return out.Distribution?.Status ?? 'unknown';
        },
        done: (s) => s === 'Deployed',
        describe: (s) => s,
        clock: this.clock,
        timeoutMs: this.timeouts.deployMs,
        initialDelayMs: Math.max(this.timeouts.pollInitialMs, 10_000),
        maxDelayMs: this.timeouts.pollMaxMs,
        progress: options.progress,
      });
      detail += `; ${status}`;
    } else {
      detail += '; not waiting for Deployed (--no-wait)';
    }
    return { alreadyInPlace: changed === undefined, detail };
  }
}

interface PromotionState {
  readonly targetIsWriter: boolean;
  readonly targetStatus: string;
  readonly targetAvailable: boolean;
  readonly globalStatus: string;
  readonly globalIdle: boolean;
  readonly pending?: string;
  readonly pendingTo?: RegionRole;
}

function startedDetail(move: Move, clusterId: string, region: string): string {
  switch (move.mode) {
    case 'switchover':
      return `SwitchoverGlobalCluster to ${clusterId} (${region}) started`;
    case 'failover':
      return `FailoverGlobalCluster with AllowDataLoss to ${clusterId} (${region}) started`;
    case 'detach':
      return `RemoveFromGlobalCluster for ${clusterId} (${region}) started`;
  }
}

function notesAfter(move: Move): string[] {
  const old = move.topology.regions[move.from];
  switch (move.mode) {
    case 'switchover':
      return [`${old.clusterId} in ${old.region} is now a read-only secondary; fail back with the same command (or --to ${old.region}).`];
    case 'failover':
      return [
        `${old.clusterId} in ${old.region} was not contacted. When its region recovers, Aurora re-adds it to ${move.topology.globalClusterId} as a read-only secondary ` +
          '(it does not take writes again); writes it had not replicated stay in the snapshot Aurora takes of it (rds:unplanned-global-failover-…).',
        `Fail back only once it shows as a secondary and in sync: that is a planned switchover, \`npm run failover -- --mode switchover --to ${old.region}\`.`,
      ];
    case 'detach':
      return [
        `${move.topology.regions[move.to].clusterId} is now a standalone cluster outside ${move.topology.globalClusterId}; replication from ${old.region} has stopped for good.`,
        `${old.clusterId} in ${old.region} is still a writer: stop anything that writes to it, or its data diverges. Re-establishing replication means rebuilding ` +
          'a global database from the new writer (redeploy the stacks); prefer --mode failover, which keeps the global database.',
      ];
  }
}
