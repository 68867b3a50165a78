// Deciding what a run will do, before it does anything: which regions it may call, which way it moves,
// and the preflight checks that can refuse it.
import { FAILOVER_MODES, type FailoverMode } from '#names';
import { REGION_ROLES, type RegionRole } from '#names';
import type { FailoverDriver, Move, Topology } from './driver';
import { UsageError } from './errors';

export const otherRole = (role: RegionRole): RegionRole => (role === 'pri' ? 'secd' : 'pri');

export function parseMode(value: string): FailoverMode {
  if (!(FAILOVER_MODES as readonly string[]).includes(value)) {
    throw new UsageError(`--mode ${value} is not a mode: use ${FAILOVER_MODES.join(' | ')}`);
  }
  return value as FailoverMode;
}

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

/**
 * Which regions a run may call. A switchover needs both. An unplanned failover or a detach exists for
 * when the primary's region is down, so it calls the target region only (secd unless --to says otherwise:
 * the DR region, which also holds the system-wide parameters), and a re-run after success stays a no-op.
 */
export function regionsToContact(mode: FailoverMode, to: RegionRole | undefined): RegionRole[] {
  return mode === 'switchover' ? [...REGION_ROLES] : [to ?? 'secd'];
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
 * Switchover without --to: the region that is not the writer, so the same command fails back; except
 * when an earlier run stopped half-way (writer and traffic disagree), where finishing that move wins.
 */
export function chooseDirection(mode: FailoverMode, topology: Topology, requested: RegionRole | undefined): Direction {
  if (mode !== 'switchover') {
    const to = requested ?? 'secd';
    return { from: otherRole(to), to, why: requested ? '--to' : `${mode} defaults to the secd (disaster-recovery) region` };
  }
  const writer = writerOf(topology);
  if (requested) return { from: otherRole(requested), to: requested, why: '--to' };
  if (writer === undefined) {
    throw new UsageError('Cannot tell which region is the writer: pass --to <region>.');
  }
  const serving = trafficRole(topology);
  if (serving !== undefined && serving !== writer) {
    return {
      from: otherRole(writer),
      to: writer,
      why: `an earlier run stopped half-way (writer ${topology.regions[writer].region}, traffic still on ${topology.regions[serving].region}): finishing it`,
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

export function preflight({ move, lagSeconds, maxLagSeconds, force }: PreflightInput): Check[] {
  const { topology, mode } = move;
  const to = topology.regions[move.to];
  const from = topology.regions[move.from];
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string, forceable = false) =>
    checks.push({ name, ok: ok || (forceable && force), detail, forceable, forced: !ok && forceable && force ? true : undefined });

  add(
    'target region answers',
    to.reachable,
    to.reachable ? `${to.region} answered` : `${to.region} did not answer: nothing can be promoted there`,
  );
  const alreadyWriter = to.isWriter === true;
  if (mode === 'switchover') {
    add(
      'both regions answer',
      from.reachable,
      from.reachable
        ? 'yes'
        : `${from.region} did not answer. A switchover needs a healthy primary; if its region is down use --mode failover --to ${to.region}`,
    );
    add(
      'writer known',
      writerOf(topology) !== undefined,
      writerOf(topology) ? `writer: ${topology.regions[writerOf(topology)!].region}` : 'no single writer found in the global cluster',
    );
    if (!alreadyWriter && from.reachable) {
      add(
        'engine versions match',
        from.engineVersion !== undefined && from.engineVersion === to.engineVersion,
        `${from.region} ${from.engineVersion ?? '?'}, ${to.region} ${to.engineVersion ?? '?'} (a switchover needs the same version; upgrade the secondary first)`,
      );
    }
  }
  if (to.reachable) {
    add(
      'target cluster has an instance',
      (to.instanceCount ?? 0) > 0,
      `${to.clusterId}: ${to.instanceCount ?? 0} instance(s)${(to.instanceCount ?? 0) > 0 ? '' : ': add a reader instance in the target region first'}`,
    );
  }
  if (mode === 'switchover' && !alreadyWriter) {
    add(
      'replication lag',
      lagSeconds === undefined || lagSeconds <= maxLagSeconds,
      lagSeconds === undefined
        ? 'no recent AuroraGlobalDBReplicationLag datapoint (Aurora still syncs before switching; writes pause for longer if it is behind)'
        : `${lagSeconds.toFixed(1)} s (limit ${maxLagSeconds} s)${lagSeconds > maxLagSeconds ? ': writes would pause until it catches up; wait, or --force' : ''}`,
      true,
    );
  }
  add(
    'target API domain known',
    to.apiOriginDomain !== undefined,
    to.apiOriginDomain ?? `no api-domain parameter for ${to.region}: set CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME`,
  );
  add(
    'traffic origin readable',
    topology.traffic !== undefined,
    topology.traffic
      ? `${topology.edgeId} origin ${topology.traffic.originId} → ${topology.traffic.domainName}`
      : `${topology.edgeId} could not be read; --force promotes the database anyway and the traffic step retries`,
    true,
  );
  return checks;
}

export const refusals = (checks: readonly Check[]) => checks.filter((c) => !c.ok);

export function warnings(move: Move, lagSeconds: number | undefined): string[] {
  const to = move.topology.regions[move.to];
  const from = move.topology.regions[move.from];
  if (to.isWriter === true) return [];
  switch (move.mode) {
    case 'switchover':
      return [];
    case 'failover':
      return [
        `UNPLANNED FAILOVER: writes committed in ${from.region} but not yet replicated are lost` +
          (lagSeconds !== undefined ? ` (last measured lag ${lagSeconds.toFixed(1)} s)` : '') +
          `. If ${from.region} is healthy, use --mode switchover instead (no data loss).`,
      ];
    case 'detach':
      return [
        `DETACH: ${to.clusterId} leaves the global database for good and becomes a standalone writer; ` +
          `${from.clusterId} in ${from.region} stays a writer too (split brain) until you stop it. Prefer --mode failover.`,
      ];
  }
}
