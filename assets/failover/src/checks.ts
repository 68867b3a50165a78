// The preflight checks: each mode lists the ones that apply to it (modes.ts); a failed check refuses the
// run before anything changes, unless it is forceable and --force was given.
import { CLOUDFRONT_CONTROL_PLANE_REGION, type TrafficMethod } from '#names';
import { API_BASE_PATH } from '#routes';
import type { LagReading, Move } from './driver';
import { managedMoveCompatibility } from './engine-versions';
import { describeProbe, type RegionProbe } from './http-probe';
import { MODES, type CheckName } from './modes';
import { writerOf } from './plan';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** --force may override a failed check (never one that AWS would refuse anyway or that loses data silently). */
  readonly forceable: boolean;
  /** Set when --force overrode it. */
  readonly forced?: boolean;
}

export interface PreflightInput {
  readonly move: Move;
  readonly lag: LagReading | undefined;
  readonly maxLagSeconds: number;
  /** What a GET of the target's API without credentials got, when it has a URL. */
  readonly targetApi?: RegionProbe;
  readonly force: boolean;
  /** How the traffic step will move the edge. @default 'kvs' */
  readonly traffic?: TrafficMethod;
}

type Finding = Pick<Check, 'ok' | 'detail' | 'forceable'>;

/** `https://…/prod` → the URL the traffic checks GET. */
export const probeUrl = (baseUrl: string) => `${baseUrl.replace(/\/+$/, '')}${API_BASE_PATH}`;

/** The mode's checks, in its order; a check that does not apply to this move (undefined) is left out. */
export function preflight({ move, lag, maxLagSeconds, targetApi, force, traffic = 'kvs' }: PreflightInput): Check[] {
  const { topology } = move;
  const to = topology.regions[move.to];
  const from = topology.regions[move.from];
  const alreadyWriter = to.isWriter === true;
  const writer = writerOf(topology);
  const instances = to.instanceCount ?? 0;
  const findings: Record<CheckName, () => Finding | undefined> = {
    'target region answers': () => ({
      ok: to.reachable,
      detail: to.reachable ? `${to.region} answered` : `${to.region} did not answer: nothing can be promoted there`,
      forceable: false,
    }),
    'both regions answer': () => ({
      ok: from.reachable,
      detail: from.reachable
        ? 'yes'
        : `${from.region} did not answer. A switchover needs a healthy primary; ` +
          `if its region is down use --mode failover --to ${to.region}`,
      forceable: false,
    }),
    'old primary is down': () => {
      if (alreadyWriter || from.health === undefined) return undefined;
      return from.health.healthy
        ? {
            ok: false,
            detail:
              `${from.region} answered and ${from.clusterId} is healthy (${from.health.detail}): a failover would lose ` +
              'the writes it has not replicated yet. Use --mode switchover (no data loss), or --force to fail over anyway',
            forceable: true,
          }
        : { ok: true, detail: from.health.detail, forceable: true };
    },
    'writer known': () => ({
      ok: writer !== undefined,
      detail: writer ? `writer: ${topology.regions[writer].region}` : 'no single writer found in the global cluster',
      forceable: false,
    }),
    // Aurora reports a member it is rebuilding after a data-loss failover as `pending-resync` and takes
    // no switchover to it (RDS API reference, GlobalClusterMember.SynchronizationStatus).
    'target in sync': () => {
      if (alreadyWriter || to.synchronization === undefined) return undefined;
      // A cluster busy with an operation already under way towards it is the resumed run's, not a rebuild.
      const busy = to.clusterStatus !== 'available' && topology.pendingOperation === undefined;
      const ready = to.synchronization === 'connected' && !busy;
      return {
        ok: ready,
        detail: ready
          ? `${to.clusterId} is ${to.synchronization}, cluster ${to.clusterStatus ?? '?'}`
          : `Aurora is still rebuilding ${to.region}; retry when it is connected ` +
            `(synchronization ${to.synchronization}, cluster ${to.clusterStatus ?? '?'})`,
        forceable: false,
      };
    },
    'engine versions match': () => {
      const fromVersion = from.engineVersion ?? topology.engineVersion;
      if (alreadyWriter || fromVersion === undefined || to.engineVersion === undefined) return undefined;
      const verdict = managedMoveCompatibility(fromVersion, to.engineVersion);
      const source = from.engineVersion === undefined ? ' (the global database)' : '';
      return {
        ok: verdict.ok,
        detail:
          `${from.region} ${fromVersion}${source}, ${to.region} ${to.engineVersion}: ${verdict.why}` +
          (verdict.ok ? '' : `; ${MODES[move.mode].engineMismatch}`),
        forceable: true,
      };
    },
    'target cluster has an instance': () =>
      to.reachable
        ? {
            ok: instances > 0,
            detail: `${to.clusterId}: ${instances} instance(s)${instances > 0 ? '' : ': add a reader instance in the target region first'}`,
            forceable: false,
          }
        : undefined,
    'replication lag': () => {
      if (alreadyWriter) return undefined;
      const seconds = lag?.seconds;
      if (seconds === undefined) {
        return {
          ok: false,
          detail:
            `no recent ${lag?.source ?? 'replication lag'} datapoint: the lag is unknown (Aurora syncs before switching, so ` +
            'writes pause for as long as it is behind); check the metric, or --force',
          forceable: true,
        };
      }
      return {
        ok: seconds <= maxLagSeconds,
        detail:
          `${seconds.toFixed(1)} s ${lag!.source} (limit ${maxLagSeconds} s)` +
          (seconds > maxLagSeconds ? ': writes would pause until it catches up; wait, or --force' : ''),
        forceable: true,
      };
    },
    'target API domain known': () => ({
      ok: to.apiOriginDomain !== undefined,
      detail: to.apiOriginDomain ?? `no api-domain parameter for ${to.region}: set CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME`,
      forceable: false,
    }),
    'target API answers': () => {
      if (targetApi === undefined) return undefined;
      const ok = targetApi.region === to.region;
      return {
        ok,
        detail: ok
          ? describeProbe(targetApi)
          : `${describeProbe(targetApi)}, not from ${to.region}: is the api-domain parameter of ${to.region} stale? ` +
            'Traffic sent there would fail; --force goes ahead anyway',
        forceable: true,
      };
    },
    'traffic origin readable': () => ({
      ok: topology.traffic !== undefined,
      detail: topology.traffic
        ? `${topology.edgeId} origin ${topology.traffic.originId} → ${topology.traffic.domainName}`
        : `${topology.edgeId} could not be read; --force promotes the database anyway and the traffic step retries`,
      forceable: true,
    }),
    'traffic path independent of the failed region': () => trafficPath(move, traffic),
  };
  return MODES[move.mode].checks.flatMap((name): Check[] => {
    const finding = findings[name]();
    if (finding === undefined) return [];
    const forced = !finding.ok && finding.forceable && force;
    return [{ name, ok: finding.ok || forced, detail: finding.detail, forceable: finding.forceable, forced: forced ? true : undefined }];
  });
}

/**
 * origin-swap needs CloudFront's control plane (us-east-1): refused when that is the region an unplanned move
 * leaves (forceable: the operator may know CloudFront's control plane is fine while Aurora is not), and when
 * the distribution's config could not be read (not forceable: the swap cannot work). kvs needs a known store.
 */
function trafficPath(move: Move, traffic: TrafficMethod): Finding | undefined {
  const { topology } = move;
  const from = topology.regions[move.from];
  if (traffic === 'kvs') {
    // Only a driver that read the distribution (configuredOrigin) reports the store; the local edge has none to read.
    if (topology.configuredOrigin === undefined || topology.edgeKey !== undefined) {
      return topology.edgeKey ? { ok: true, detail: `--traffic kvs: ${topology.edgeKey.storeArn}`, forceable: false } : undefined;
    }
    return {
      ok: false,
      detail: '--traffic kvs: no KeyValueStore known (no kvs-arn parameter): set CLOUDFRONT_KVS_ARN, or use --traffic origin-swap',
      forceable: false,
    };
  }
  if (move.mode !== 'switchover' && from.region === CLOUDFRONT_CONTROL_PLANE_REGION) {
    return {
      ok: false,
      detail:
        `--traffic origin-swap needs CloudFront's control plane in ${CLOUDFRONT_CONTROL_PLANE_REGION}, the region this ${move.mode} ` +
        'leaves: use --traffic kvs, or --force if CloudFront itself is known to be fine',
      forceable: true,
    };
  }
  if (topology.edgeKey !== undefined && topology.configuredOrigin === undefined) {
    return {
      ok: false,
      detail: `--traffic origin-swap: CloudFront's control plane did not serve ${topology.edgeId}'s config; use --traffic kvs`,
      forceable: false,
    };
  }
  return { ok: true, detail: `--traffic origin-swap: CloudFront's control plane answered`, forceable: false };
}

export const refusals = (checks: readonly Check[]) => checks.filter((c) => !c.ok);

/** The mode's warnings for this move; none when the target is already the writer (nothing will happen). */
export function warnings(move: Move, lag: LagReading | undefined): string[] {
  return move.topology.regions[move.to].isWriter === true ? [] : MODES[move.mode].warnings(move, lag);
}
