// The orchestration, the same for AWS and the local rehearsal: plan → approve → steps → verify → report.
// It never throws for a failed step: the report records the failure so CodeBuild keeps it, and the
// caller turns the outcome into an exit code.
import type { FailoverMode } from '#names';
import type { Clock } from './clock';
import type { FailoverDriver, Move, StepOutcome, Topology } from './driver';
import { FailoverError, UsageError } from './errors';
import { MODES } from './modes';
import { chooseDirection, preflight, refusals, regionsToContact, resolveRole, trafficRole, warnings, writerOf, type Check } from './plan';
import type { FailoverReport, StepRecord } from './report';

export interface RunOptions {
  readonly mode: FailoverMode;
  /** Region name or role; undefined: see chooseDirection. */
  readonly to?: string;
  readonly dryRun: boolean;
  /** Skip the confirmation (CodeBuild after the pipeline's manual approval). */
  readonly yes: boolean;
  readonly force: boolean;
  /** Wait for the edge to finish deploying the new origin. */
  readonly wait: boolean;
  readonly maxLagSeconds?: number;
  /** Asked only when `yes` is false; the CLI prompts on a TTY and refuses without one. */
  readonly confirm: (question: string) => Promise<boolean>;
  readonly print: (line: string) => void;
  readonly clock: Clock;
}

export const DEFAULT_MAX_LAG_SECONDS = 5;

export async function runFailover(driver: FailoverDriver, options: RunOptions): Promise<FailoverReport> {
  const { clock, print } = options;
  const start = clock.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const stamp = () => `[${((clock.now() - start) / 1000).toFixed(1).padStart(6)}s]`;
  const log = (line: string) => print(`${stamp()} ${line}`);
  const report: FailoverReport = {
    tool: 'todomgmt-failover',
    driver: driver.name,
    mode: options.mode,
    dryRun: options.dryRun,
    startedAt: iso(start),
    preflight: [],
    steps: [],
    alreadyInPlace: [],
    notes: [],
  };
  const finish = (outcome: NonNullable<FailoverReport['outcome']>, error?: string): FailoverReport => {
    const end = clock.now();
    report.outcome = outcome;
    report.error = error;
    report.endedAt = iso(end);
    report.totalSeconds = round((end - start) / 1000);
    return report;
  };

  /** Runs one step with timing, printing and recording; a failure ends the run. */
  const step = async <T>(name: string, body: () => Promise<T>, summarize: (result: T) => Partial<StepOutcome> = () => ({})): Promise<T> => {
    const began = clock.now();
    const record: StepRecord = { name, startedAt: iso(began) };
    report.steps.push(record);
    log(`${name} ...`);
    try {
      const result = await body();
      const summary = summarize(result);
      record.alreadyInPlace = summary.alreadyInPlace;
      record.detail = summary.detail;
      if (summary.alreadyInPlace) report.alreadyInPlace.push(name);
      for (const note of summary.notes ?? []) if (!report.notes.includes(note)) report.notes.push(note);
      log(`${name}: ${summary.alreadyInPlace ? 'already in place: ' : ''}${summary.detail ?? 'done'} (${secondsSince(clock, began)} s)`);
      return result;
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      log(`${name} FAILED: ${record.error}`);
      throw error;
    } finally {
      record.endedAt = iso(clock.now());
      record.seconds = round((clock.now() - began) / 1000);
    }
  };
  const outcome = (result: StepOutcome) => result;

  // Usage errors (an unknown --to, a mode the driver cannot do) are thrown before anything is called.
  if (!driver.modes.includes(options.mode)) {
    throw new UsageError(`--mode ${options.mode} is not available with the ${driver.name} driver (use ${driver.modes.join(' | ')})`);
  }
  const requested = resolveRole(driver, options.to);
  try {
    const contact = regionsToContact(options.mode, requested);
    const topology = await step(
      'discover',
      () => driver.discover({ contact }),
      (t) => ({ detail: describeTopology(t) }),
    );
    const direction = chooseDirection(options.mode, topology, requested);
    report.from = { role: direction.from, region: topology.regions[direction.from].region };
    report.to = { role: direction.to, region: topology.regions[direction.to].region };
    report.direction = direction.why;
    const move: Move = { mode: options.mode, from: direction.from, to: direction.to, topology };

    const target = topology.regions[move.to];
    const needsLag = target.reachable && target.isWriter !== true && MODES[options.mode].measuresLag;
    const lag = needsLag
      ? await step(
          'measure replication lag',
          () => driver.replicationLagSeconds(move),
          (s) => ({ detail: s === undefined ? 'no recent datapoint' : `${s.toFixed(1)} s` }),
        )
      : undefined;
    report.replicationLagSeconds = lag;

    const checks = preflight({
      move,
      lagSeconds: lag,
      maxLagSeconds: options.maxLagSeconds ?? DEFAULT_MAX_LAG_SECONDS,
      force: options.force,
    });
    report.preflight = checks;
    const cautions = warnings(move, lag);
    printPlan(print, driver, move, direction.why, checks, cautions);

    const refused = refusals(checks);
    if (refused.length > 0) {
      const why = refused.map((c) => `${c.name}: ${c.detail}${c.forceable ? ' (--force overrides)' : ''}`).join('; ');
      print(`Refused, nothing was changed. ${why}`);
      return finish('refused', why);
    }
    if (options.dryRun) {
      print('Dry run: stopping after the plan, nothing was changed.');
      return finish('dry-run');
    }
    if (!options.yes && !(await options.confirm(`Proceed with the ${options.mode} to ${target.region}? [y/N] `))) {
      print('Not confirmed: nothing was changed.');
      return finish('declined');
    }

    await step(`promote (${options.mode})`, () => driver.promote(move, { progress: log }), outcome);
    await step('proxy', () => driver.ensureProxy(move, { progress: log }), outcome);
    await step('traffic', () => driver.switchTraffic(move, { progress: log, wait: options.wait }), outcome);
    await step(
      'verify',
      () => verify(driver, move, contact, options.wait),
      (detail) => ({ detail }),
    );

    const noOp = ['promote', 'proxy', 'traffic'].every((n) => report.alreadyInPlace.some((s) => s.startsWith(n)));
    print('');
    print(
      noOp
        ? `Nothing to do: ${target.region} was already the writer and serving traffic.`
        : `Done: ${target.region} is the writer and serves the API.`,
    );
    for (const note of report.notes) print(`Note: ${note}`);
    printTimeline(print, report);
    return finish(noOp ? 'no-op' : 'completed');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const changing = report.steps.some((s) => /^(promote|proxy|traffic)/.test(s.name));
    if (changing) print('Stopped. Every step checks before it acts: fix the cause and run the same command again to resume.');
    else print('Stopped before changing anything.');
    return finish('failed', message);
  }
}

async function verify(driver: FailoverDriver, move: Move, contact: Move['to'][], waited: boolean): Promise<string> {
  const after = await driver.discover({ contact });
  const target = after.regions[move.to];
  const problems: string[] = [];
  if (target.isWriter !== true) problems.push(`${target.clusterId} is not the writer`);
  if (after.traffic === undefined) problems.push('the traffic origin could not be read back');
  else if (after.traffic.domainName !== target.apiOriginDomain) problems.push(`traffic still goes to ${after.traffic.domainName}`);
  else if (waited && !after.traffic.deployed) problems.push('the edge reports the change as not yet deployed');
  if (problems.length > 0) throw new FailoverError(`verification failed: ${problems.join('; ')}`, 'system');
  return `${target.region} is writer, traffic → ${after.traffic!.domainName}${after.traffic!.deployed ? ' (deployed)' : ' (deploying)'}`;
}

function describeTopology(t: Topology): string {
  const writer = writerOf(t);
  const serving = trafficRole(t);
  const region = (role: 'pri' | 'secd' | undefined) => (role ? t.regions[role].region : 'unknown');
  return `writer ${region(writer)}, traffic ${region(serving)}${t.pendingOperation ? `, ${t.pendingOperation}` : ''}`;
}

function printPlan(
  print: (l: string) => void,
  driver: FailoverDriver,
  move: Move,
  why: string,
  checks: readonly Check[],
  cautions: readonly string[],
): void {
  const { topology: t } = move;
  const from = t.regions[move.from];
  const to = t.regions[move.to];
  const reg = (v: typeof from) => `${v.region} (${v.role}${v.reachable ? '' : ', not contacted or not answering'})`;
  print('');
  print(`Plan (${driver.name} driver): ${move.mode} from ${reg(from)} to ${reg(to)}; ${why}`);
  print(`  global cluster ${t.globalClusterId}${t.pendingOperation ? `, in progress: ${t.pendingOperation}` : ''}`);
  print(`  1. promote  ${to.clusterId}: ${to.isWriter === true ? 'already the writer' : driver.describePromotion(move.mode)}`);
  print(`  2. proxy    ${to.proxyName ?? '?'} → ${to.clusterId}`);
  const already = t.traffic?.domainName === to.apiOriginDomain ? ' (already)' : '';
  const origin = `${t.edgeId} origin ${t.traffic?.originId ?? '?'}`;
  print(`  3. traffic  ${origin}: ${t.traffic?.domainName ?? '?'} → ${to.apiOriginDomain ?? '?'}${already}`);
  print('  4. verify   read everything back');
  print('Preflight:');
  for (const c of checks) print(`  ${c.ok ? (c.forced ? 'FORCED' : 'ok    ') : 'FAIL  '} ${c.name}: ${c.detail}`);
  for (const w of cautions) print(`WARNING: ${w}`);
  print('');
}

function printTimeline(print: (l: string) => void, report: FailoverReport): void {
  print('Timeline:');
  for (const s of report.steps) {
    print(`  ${s.name.padEnd(24)} ${String(s.seconds ?? '?').padStart(7)} s${s.alreadyInPlace ? '  (already in place)' : ''}`);
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
const secondsSince = (clock: Clock, began: number) => round((clock.now() - began) / 1000);
