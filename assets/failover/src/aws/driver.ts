// The FailoverDriver for AWS: Aurora Global Database, RDS Proxy, CloudFront. Each step reads the
// current state first and only acts when needed, so a re-run is a no-op and a killed run resumes.
import { DescribeDBProxyTargetsCommand, RegisterDBProxyTargetsCommand, type DBProxyTarget } from '@aws-sdk/client-rds';
import type { RegionRole, TrafficMethod } from '#names';
import { realClock, waitUntil, type Clock } from '../clock';
import type {
  DiscoverRequest,
  FailoverDriver,
  FailoverMode,
  KeptWrites,
  LagReading,
  Move,
  PlannedStep,
  RecordWrite,
  StepOptions,
  StepOutcome,
  Topology,
  TrafficOptions,
} from '../driver';
import { FailoverError } from '../errors';
import { fetchGet, type HttpAnswer, type HttpGet } from '../http-probe';
import type { RunRecord } from '../run-record';
import { AwsCallError, AwsCaller, DEFAULT_RETRY, type RetryPolicy } from './aws-call';
import { createAwsClients, type AwsClients } from './clients';
import { discover, type AwsContext } from './discover';
import { NO_OVERRIDES, OVERRIDE_VARIABLE, type AwsOverrides } from './overrides';
import { readLag } from './lag';
import { AWS_PROMOTIONS, promotionDone, readPromotion } from './promotion';
import { writeRunRecord } from './run-record-store';
import { keepUnplannedSnapshot } from './snapshot';
import { ensureTokens } from './tokens';
import { switchByKey, switchByOriginSwap, TRAFFIC_PLANES } from './traffic';

export interface AwsTimeouts {
  readonly promoteMs: number;
  readonly proxyMs: number;
  readonly deployMs: number;
  /** A user pool replica's activation. */
  readonly tokensMs: number;
  readonly pollInitialMs: number;
  readonly pollMaxMs: number;
}

/** Switchovers of small clusters take a few minutes; CloudFront deployments up to ~15. */
export const DEFAULT_TIMEOUTS: AwsTimeouts = {
  promoteMs: 30 * 60_000,
  proxyMs: 15 * 60_000,
  deployMs: 30 * 60_000,
  tokensMs: 5 * 60_000,
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
  /** The GET the traffic checks use. @default fetch over HTTPS */
  readonly httpGet?: HttpGet;
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
  private readonly get: HttpGet;

  constructor(props: AwsDriverProps) {
    this.clock = props.clock ?? realClock;
    this.caller = new AwsCaller(this.clock, props.retry ?? DEFAULT_RETRY);
    this.regionNames = props.regions;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...props.timeouts };
    this.maxEtagRetries = props.maxEtagRetries ?? 5;
    this.get = props.httpGet ?? fetchGet;
    this.ctx = {
      regions: props.regions,
      clients: props.clients ?? createAwsClients(),
      caller: this.caller,
      overrides: props.overrides ?? NO_OVERRIDES,
    };
  }

  describePromotion(mode: FailoverMode): string {
    return AWS_PROMOTIONS[mode].describe;
  }

  discover(request: DiscoverRequest): Promise<Topology> {
    return discover(this.ctx, request);
  }

  replicationLag(move: Move): Promise<LagReading> {
    return readLag(this.ctx, move, this.clock.now());
  }

  httpGet(url: string, timeoutMs: number): Promise<HttpAnswer> {
    return this.get(url, timeoutMs);
  }

  saveRunRecord(record: RunRecord, roles: readonly RegionRole[]): Promise<RecordWrite[]> {
    return writeRunRecord(this.ctx, record, roles);
  }

  keepLostWrites(topology: Topology, oldPrimary: RegionRole, since: string): Promise<KeptWrites> {
    return keepUnplannedSnapshot(this.ctx, topology, oldPrimary, since);
  }

  firstCallAt(): number | undefined {
    return this.caller.firstCallAt;
  }

  async promote(move: Move, options: StepOptions): Promise<StepOutcome> {
    const target = move.topology.regions[move.to];
    const promotion = AWS_PROMOTIONS[move.mode];
    const region = (role: RegionRole | undefined) => (role ? move.topology.regions[role].region : '?');
    const read = async () => {
      const state = await readPromotion(this.ctx, move);
      // Cancelled (by someone, or by Aurora): the clusters return to their previous roles. Waiting would
      // only end in a time-out, and a new operation is refused until it is over: stop and say so.
      if (state.pending === 'cancelling') {
        throw new FailoverError(
          `Aurora is cancelling the switchover or failover from ${region(state.pendingFrom)} to ${region(state.pendingTo)} ` +
            `(FailoverState cancelling): ${move.topology.globalClusterId} returns to its previous writer. Nothing more was done; ` +
            'once FailoverState is empty (aws rds describe-global-clusters), find out why it was cancelled and run again.',
          'system',
        );
      }
      return state;
    };
    const before = await read();
    const done = promotionDone;
    const notes = promotion.notesAfter(move);
    if (done(before)) {
      return { alreadyInPlace: true, detail: `${target.clusterId} in ${target.region} is already the writer`, notes };
    }
    if (before.pendingTo !== undefined && before.pendingTo !== target.role) {
      throw new FailoverError(
        `The global cluster ${move.topology.globalClusterId} is already ${before.pending} towards ${region(before.pendingTo)}: ` +
          'wait for it to finish (or cancel it in the console), then run again.',
        'system',
      );
    }
    let detail: string;
    if (before.pendingTo === target.role || (promotion.busyWriterIsUnderWay && before.targetIsWriter && !before.targetAvailable)) {
      detail = `resumed: ${before.pending ?? before.targetStatus} already under way for ${target.clusterId}`;
      options.progress(detail);
    } else if (!before.targetIsWriter) {
      await this.startPromotion(move);
      detail = promotion.started(target.clusterId, target.region);
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

  private async startPromotion(move: Move): Promise<void> {
    const target = move.topology.regions[move.to];
    if (!target.clusterArn) {
      throw new FailoverError(`No ARN known for ${target.clusterId} in ${target.region}: cannot promote it.`, 'system');
    }
    const promotion = AWS_PROMOTIONS[move.mode];
    const region = promotion.sentTo === 'primary' ? move.topology.regions[move.from].region : target.region;
    try {
      await promotion.start(this.ctx, region, move.topology.globalClusterId, target.clusterArn);
    } catch (error) {
      // A concurrent or earlier run may have started the same operation a moment ago: re-read and wait.
      if (error instanceof AwsCallError && /InvalidGlobalClusterState|InvalidDBClusterState/.test(String((error.cause as Error)?.name))) {
        const state = await readPromotion(this.ctx, move);
        if (state.pendingTo === move.to || state.targetIsWriter) return;
      }
      throw error;
    }
  }

  async ensureProxy(move: Move, options: StepOptions): Promise<StepOutcome> {
    const target = move.topology.regions[move.to];
    const proxy = target.proxyName;
    if (!proxy) throw new FailoverError(`No RDS Proxy name for ${target.region}: set ${OVERRIDE_VARIABLE.proxyName[move.to]}.`, 'user');
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
            .map((t) => {
              const reason = t.TargetHealth?.Reason ? `(${t.TargetHealth.Reason})` : '';
              return `${t.RdsResourceId}:${t.Role ?? '?'}:${t.TargetHealth?.State ?? '?'}${reason}`;
            })
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
          throw new FailoverError(
            `Unknown RDS Proxy ${target.proxyName} in ${target.region}: ` +
              `fix ${OVERRIDE_VARIABLE.proxyName[move.to]} or the proxy-name SSM parameter. (${error.message})`,
            'user',
            { cause: error },
          );
        }
        throw error;
      }
      all.push(...(out.Targets ?? []));
      marker = out.Marker;
    } while (marker);
    return all;
  }

  ensureTokens(move: Move, options: StepOptions): Promise<StepOutcome> {
    return ensureTokens(this.ctx, move, options, {
      clock: this.clock,
      timeoutMs: this.timeouts.tokensMs,
      pollInitialMs: this.timeouts.pollInitialMs,
      pollMaxMs: this.timeouts.pollMaxMs,
    });
  }

  switchTraffic(move: Move, options: TrafficOptions): Promise<StepOutcome> {
    const settings = {
      clock: this.clock,
      deployMs: this.timeouts.deployMs,
      pollInitialMs: this.timeouts.pollInitialMs,
      pollMaxMs: this.timeouts.pollMaxMs,
      maxEtagRetries: this.maxEtagRetries,
    };
    return options.method === 'kvs'
      ? switchByKey(this.ctx, move, options, settings)
      : switchByOriginSwap(this.ctx, move, options, settings);
  }

  describePlanes(move: Move, traffic: TrafficMethod): Readonly<Record<PlannedStep, string>> {
    const region = (role: RegionRole) => move.topology.regions[role].region;
    const promoteTo = AWS_PROMOTIONS[move.mode].sentTo === 'primary' ? region(move.from) : region(move.to);
    return {
      promote: `RDS control plane, ${promoteTo}`,
      proxy: `RDS control plane, ${region(move.to)}`,
      traffic: TRAFFIC_PLANES[traffic],
      tokens:
        move.to === 'secd' && move.topology.userPool?.replicaArn
          ? `Cognito control plane, ${region(move.to)} (UpdateUserPoolReplica)`
          : 'nothing to call',
    };
  }
}
