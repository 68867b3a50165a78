// The local scenarios: what state each needs (set up first, outside the measurement), the action taken
// while the traffic runs, and what is done after it.
//   switchover  planned move pri → secd            (needs pri writing, secd replicating)
//   failover    kill-region pri, then --mode failover to secd; pri is revived afterwards and rejoins as a replica
//   failback    the planned way back secd → pri    (needs the state a failover game day ends with)
import type { FailoverReport } from '#failover/report';
import { otherRole, REGION_ROLES, type FailoverMode, type RegionRole } from '#names';
import type { LocalRehearsal } from './local-rehearsal';
import { now, type Marker } from './recorder';
import type { Scenario } from './report';

export type LocalScenario = Exclude<Scenario, 'observe'>;

interface ScenarioSpec {
  readonly description: string;
  /** The writer the scenario starts from. */
  readonly startWriter: RegionRole;
  readonly mode: FailoverMode;
  /** Killed just before the failover (an outage of the writer's region). */
  readonly kills?: RegionRole;
}

export const SCENARIOS: Readonly<Record<LocalScenario, ScenarioSpec>> = {
  switchover: { description: 'planned switchover from pri to secd, both regions healthy', startWriter: 'pri', mode: 'switchover' },
  failover: {
    description: 'region outage: kill-region pri, then an unplanned failover to secd; pri is revived afterwards',
    startWriter: 'pri',
    mode: 'failover',
    kills: 'pri',
  },
  failback: { description: 'planned way back from secd to pri after a failover', startWriter: 'secd', mode: 'switchover' },
};

export interface ActionResult {
  readonly failover: FailoverReport;
  readonly markers: readonly Marker[];
  /** When the kill had completed (epoch ms), for the replication lag at the kill. */
  readonly killedAt?: number;
}

const ok = (report: FailoverReport, what: string): FailoverReport => {
  if (report.outcome !== 'completed' && report.outcome !== 'no-op') {
    throw new Error(`${what}: the failover program ended ${report.outcome}${report.error ? `: ${report.error}` : ''}`);
  }
  return report;
};

/**
 * Brings the rehearsal into the state the scenario starts from, without traffic: a region that is down is
 * revived, and the writer moved where the scenario needs it. Returns what it did, for the report.
 */
export async function prepareScenario(
  rehearsal: LocalRehearsal,
  scenario: LocalScenario,
  print: (line: string) => void,
): Promise<string[]> {
  const spec = SCENARIOS[scenario];
  const done: string[] = [];
  const step = (line: string) => {
    done.push(line);
    print(`setup: ${line}`);
  };
  let topology = await rehearsal.discover();
  for (const role of REGION_ROLES) {
    if (!topology.regions[role].reachable) {
      step(`revive-region ${role} (it was down)`);
      await rehearsal.reviveRegion(role);
    }
  }
  topology = await rehearsal.discover();
  const writer = REGION_ROLES.find((r) => topology.regions[r].isWriter === true);
  if (!writer) throw new Error('neither region is the writer: see npm run local -- status');
  if (writer === spec.startWriter) return done;
  if (spec.startWriter === 'secd') {
    // The state a failover game day ends with: secd promoted by an unplanned failover, pri back as its replica.
    step('kill-region pri, failover to secd, revive-region pri (the state a failover leaves)');
    await rehearsal.killRegion('pri');
    ok(await rehearsal.failover('failover', 'secd', () => undefined), 'setup failover');
    await rehearsal.reviveRegion('pri');
  } else {
    step(`switchover to ${spec.startWriter} (the scenario starts from it writing)`);
    ok(await rehearsal.failover('switchover', spec.startWriter, () => undefined), 'setup switchover');
  }
  return done;
}

/** The scenario's action, taken while the traffic runs. */
export async function runAction(
  rehearsal: LocalRehearsal,
  scenario: LocalScenario,
  hooks: { readonly mark: (marker: Marker) => void; readonly print: (line: string) => void },
): Promise<ActionResult> {
  const spec = SCENARIOS[scenario];
  const target = otherRole(spec.startWriter);
  let killedAt: number | undefined;
  if (spec.kills) {
    const began = now();
    await rehearsal.killRegion(spec.kills);
    killedAt = now();
    hooks.mark({ at: began, endAt: killedAt, label: `kill-region ${spec.kills}`, source: 'scenario' });
  }
  const report = await rehearsal.failover(spec.mode, target, hooks.print);
  const markers = failoverMarkers(report);
  for (const m of markers) hooks.mark(m);
  return { failover: report, markers, ...(killedAt === undefined ? {} : { killedAt }) };
}

/** After the traffic: the killed region comes back and rejoins as a replica of the new writer. */
export async function finishScenario(rehearsal: LocalRehearsal, scenario: LocalScenario): Promise<string[]> {
  const killed = SCENARIOS[scenario].kills;
  if (!killed) return [];
  await rehearsal.reviveRegion(killed);
  return [`revive-region ${killed} after the traffic: it rejoined as a read-only replica of ${otherRole(killed)}`];
}

/** One marker per step of the failover program's report (its own timeline), and one when it ended. */
export function failoverMarkers(report: FailoverReport): Marker[] {
  const markers: Marker[] = report.steps.map((s) => ({
    at: Date.parse(s.startedAt),
    ...(s.endedAt ? { endAt: Date.parse(s.endedAt) } : {}),
    label: s.name.replace(/ \(.*\)$/, ''),
    source: 'failover' as const,
  }));
  if (report.endedAt)
    markers.push({ at: Date.parse(report.endedAt), label: `${report.mode} ${report.outcome ?? 'ended'}`, source: 'failover' });
  return markers;
}
