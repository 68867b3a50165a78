// Deciding what a run will do, before it does anything: which regions it may call, which way it moves,
// and the preflight checks that can refuse it.
import { otherRole, REGION_ROLES, type FailoverMode, type RegionRole } from '#names';
import type { FailoverDriver, Move, Topology } from './driver';
import { UsageError } from './errors';
import { MODES, type CheckName } from './modes';

/** `--to` takes a region name (`us-east-2`) or a role (`secd`). */
export function resolveRole(driver: FailoverDriver, to: string | undefined): RegionRole | undefined {
  if (to === undefined) return undefined;
  const role = REGION_ROLES.find((r) => r === to || driver.regionNames[r] === to);
  if (!role) {
    const known = REGION_ROLES.map((r) => `${driver.regionNames[r]} (${r})`).join(', ');
    throw new UsageError(`--to ${to} is not one of this deployment's regions: ${known}`);
  }
  return role;
}

/** Which regions a run may call (the mode's `contacts`): a target-only run calls the target named by --to or its default. */
export function regionsToContact(mode: FailoverMode, to: RegionRole | undefined): RegionRole[] {
  const { contacts, defaultTarget } = MODES[mode];
  const target = to ?? (defaultTarget === 'not-the-writer' ? undefined : defaultTarget.role);
  // Without a named target, finding it means finding the writer, which needs both regions.
  return contacts === 'target' && target !== undefined ? [target] : [...REGION_ROLES];
}

export const writerOf = (topology: Topology): RegionRole | undefined => {
  const writers = REGION_ROLES.filter((r) => topology.regions[r].isWriter === true);
  return writers.length === 1 ? writers[0] : undefined;
};

export const trafficRole = (topology: Topology): RegionRole | undefined =>
  REGION_ROLES.find((r) => topology.traffic !== undefined && topology.regions[r].apiOriginDomain === topology.traffic.domainName);

export interface Direction {
  readonly from: RegionRole;
  readonly to: RegionRole;
  readonly why: string;
}

/**
 * Without --to, the mode's default target; for `not-the-writer` the region that is not the writer, so the
 * same command fails back, except when an earlier run stopped half-way (writer and traffic disagree),
 * where finishing that move wins.
 */
export function chooseDirection(mode: FailoverMode, topology: Topology, requested: RegionRole | undefined): Direction {
  if (requested) return { from: otherRole(requested), to: requested, why: '--to' };
  const target = MODES[mode].defaultTarget;
  if (target !== 'not-the-writer') return { from: otherRole(target.role), to: target.role, why: `${mode} ${target.why}` };
  const writer = writerOf(topology);
  if (writer === undefined) {
    throw new UsageError('Cannot tell which region is the writer: pass --to <region>.');
  }
  const serving = trafficRole(topology);
  if (serving !== undefined && serving !== writer) {
    const [writes, serves] = [topology.regions[writer].region, topology.regions[serving].region];
    return {
      from: otherRole(writer),
      to: writer,
      why: `an earlier run stopped half-way (writer ${writes}, traffic still on ${serves}): finishing it`,
    };
  }
  return { from: writer, to: otherRole(writer), why: `default: the region that is not the writer` };
}

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
  readonly lagSeconds: number | undefined;
  readonly maxLagSeconds: number;
  readonly force: boolean;
}

type Finding = Pick<Check, 'ok' | 'detail' | 'forceable'>;

/** The mode's checks, in its order; a check that does not apply to this move (undefined) is left out. */
export function preflight({ move, lagSeconds, maxLagSeconds, force }: PreflightInput): Check[] {
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
    'writer known': () => ({
      ok: writer !== undefined,
      detail: writer ? `writer: ${topology.regions[writer].region}` : 'no single writer found in the global cluster',
      forceable: false,
    }),
    'engine versions match': () =>
      alreadyWriter || !from.reachable
        ? undefined
        : {
            ok: from.engineVersion !== undefined && from.engineVersion === to.engineVersion,
            detail:
              `${from.region} ${from.engineVersion ?? '?'}, ${to.region} ${to.engineVersion ?? '?'} ` +
              '(a switchover needs the same version; upgrade the secondary first)',
            forceable: false,
          },
    'target cluster has an instance': () =>
      to.reachable
        ? {
            ok: instances > 0,
            detail: `${to.clusterId}: ${instances} instance(s)${instances > 0 ? '' : ': add a reader instance in the target region first'}`,
            forceable: false,
          }
        : undefined,
    'replication lag': () =>
      alreadyWriter
        ? undefined
        : {
            ok: lagSeconds === undefined || lagSeconds <= maxLagSeconds,
            detail:
              lagSeconds === undefined
                ? 'no recent AuroraGlobalDBReplicationLag datapoint (Aurora still syncs before switching; ' +
                  'writes pause for longer if it is behind)'
                : `${lagSeconds.toFixed(1)} s (limit ${maxLagSeconds} s)` +
                  (lagSeconds > maxLagSeconds ? ': writes would pause until it catches up; wait, or --force' : ''),
            forceable: true,
          },
    'target API domain known': () => ({
      ok: to.apiOriginDomain !== undefined,
      detail: to.apiOriginDomain ?? `no api-domain parameter for ${to.region}: set CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME`,
      forceable: false,
    }),
    'traffic origin readable': () => ({
      ok: topology.traffic !== undefined,
      detail: topology.traffic
        ? `${topology.edgeId} origin ${topology.traffic.originId} → ${topology.traffic.domainName}`
        : `${topology.edgeId} could not be read; --force promotes the database anyway and the traffic step retries`,
      forceable: true,
    }),
  };
  return MODES[move.mode].checks.flatMap((name): Check[] => {
    const finding = findings[name]();
    if (finding === undefined) return [];
    const forced = !finding.ok && finding.forceable && force;
    return [{ name, ok: finding.ok || forced, detail: finding.detail, forceable: finding.forceable, forced: forced ? true : undefined }];
  });
}

export const refusals = (checks: readonly Check[]) => checks.filter((c) => !c.ok);

/** The mode's warnings for this move; none when the target is already the writer (nothing will happen). */
export function warnings(move: Move, lagSeconds: number | undefined): string[] {
  return move.topology.regions[move.to].isWriter === true ? [] : MODES[move.mode].warnings(move, lagSeconds);
}
