// Deciding what a run will do, before it does anything: which regions it may call and which way it
// moves. The preflight checks that can refuse it are in checks.ts.
import { otherRole, REGION_ROLES, type FailoverMode, type RegionRole } from '#names';
import type { DiscoverRequest, FailoverDriver, Topology } from './driver';
import { UsageError } from './errors';
import { MODES } from './modes';
import { describeProgress, isUnfinished, lastCompleted } from './run-record';

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
 * Which regions a run may call (the mode's `contacts`) and which it only asks whether they are healthy
 * (`probesOldPrimary`): a target-only run calls the target named by --to or its default.
 */
export function regionsToContact(mode: FailoverMode, to: RegionRole | undefined): DiscoverRequest {
  const { contacts, defaultTarget, probesOldPrimary } = MODES[mode];
  const target = to ?? (defaultTarget === 'not-the-writer' ? undefined : defaultTarget.role);
  // Without a named target, finding it means finding the writer, which needs both regions.
  if (contacts === 'both' || target === undefined) return { contact: [...REGION_ROLES] };
  return { contact: [target], ...(probesOldPrimary ? { probe: [otherRole(target)] } : {}) };
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

/** The deployed primary: roles never move, so a move towards it is a failback. */
const HOME: RegionRole = 'pri';

/**
 * --to wins. Without it, an unfinished run on record is finished (same target); a run that stopped
 * before any record was written is recognised by writer and traffic disagreeing. Otherwise the mode's
 * default target; for `not-the-writer` the region that is not the writer, so the same command fails
 * back, but only after a run that completed: with no record of one, a failback needs --to.
 */
export function chooseDirection(mode: FailoverMode, topology: Topology, requested: RegionRole | undefined): Direction {
  const record = topology.runRecord;
  const region = (role: RegionRole) => topology.regions[role].region;
  const unfinished = isUnfinished(record) ? record : undefined;
  if (requested) {
    const abandons =
      unfinished && unfinished.to !== requested
        ? `; leaves the ${unfinished.mode} to ${region(unfinished.to)} of ${unfinished.startedAt} unfinished`
        : '';
    return { from: otherRole(requested), to: requested, why: `--to${abandons}` };
  }
  if (unfinished) {
    const as = unfinished.mode === mode ? '' : `; continuing it as a ${mode}`;
    return {
      from: unfinished.from,
      to: unfinished.to,
      why:
        `finishing the ${unfinished.mode} to ${region(unfinished.to)} started ${unfinished.startedAt}, ` +
        `which ${describeProgress(unfinished)}${as} (--to ${region(unfinished.from)} goes the other way)`,
    };
  }
  const target = MODES[mode].defaultTarget;
  if (target !== 'not-the-writer') return { from: otherRole(target.role), to: target.role, why: `${mode} ${target.why}` };
  const writer = writerOf(topology);
  if (writer === undefined) {
    throw new UsageError('Cannot tell which region is the writer: pass --to <region>.');
  }
  const serving = trafficRole(topology);
  if (serving !== undefined && serving !== writer) {
    return {
      from: otherRole(writer),
      to: writer,
      why: `an earlier run stopped half-way (writer ${region(writer)}, traffic still on ${region(serving)}): finishing it`,
    };
  }
  const to = otherRole(writer);
  const done = lastCompleted(record);
  if (to === HOME && done?.to !== writer) {
    throw new UsageError(
      `${region(writer)} is the writer and no completed run on record moved it there, so a failback to ${region(to)} ` +
        `is not assumed: pass --to ${region(to)} to fail back.`,
    );
  }
  const back = to === HOME ? ` (a failback: the ${done!.mode} to ${region(writer)} completed ${done!.endedAt})` : '';
  return { from: writer, to, why: `default: the region that is not the writer${back}` };
}
