// The orchestration, the same for AWS and the local rehearsal: plan → approve → steps → verify → report.
// It never throws for a failed step: the report records the failure so CodeBuild keeps it, and the
// caller turns the outcome into an exit code. Each run's intent is recorded (run-record.ts) in the
// regions it may call, so that a rerun finishes it instead of choosing a direction afresh.
import { REGION_ROLES, type FailoverMode, type RegionRole, type TrafficMethod } from '#names';
import { preflight, probeUrl, refusals, warnings } from './checks';
import type { Clock } from './clock';
import type { DiscoverRequest, FailoverDriver, LagReading, Move, StepOutcome, Topology } from './driver';
import { FailoverError, UsageError } from './errors';
import { probeRegion, type RegionProbe } from './http-probe';
import { MODES } from './modes';
import { chooseDirection, regionsToContact, resolveRole } from './plan';
import { printPlan, printTimeline, describeTopology } from './print';
import type { FailoverReport, StepRecord } from './report';
import { advanceRecord, endRecord, refusedRecord, startRecord, withLostWrites, type RecordedStep, type RunRecord } from './run-record';
import { verify } from './verify';

export interface RunOptions {
  readonly mode: FailoverMode;
  /** Region name or role; undefined: see chooseDirection. */
  readonly to?: string;
  readonly dryRun: boolean;
  /** Skip the confirmation (CodeBuild after the pipeline's manual approval). */
  readonly yes: boolean;
  readonly force: boolean;
  /** Wait for the edge to finish deploying the new origin (origin-swap). */
  readonly wait: boolean;
  /** How the traffic step moves the edge (`kvs` by default). */
  readonly traffic: TrafficMethod;
  readonly maxLagSeconds?: number;
  /** Asked only when `yes` is false; the CLI prompts on a TTY and refuses without one. */
  readonly confirm: (question: string) => Promise<boolean>;
  readonly print: (line: string) => void;
  readonly clock: Clock;
  /** Who runs it, kept in the run record (the pipeline's name, or `by hand`). */
  readonly by?: string;
}

export const DEFAULT_MAX_LAG_SECONDS = 5;

export async function runFailover(driver: FailoverDriver, options: RunOptions): Promise<FailoverReport> {
  const { clock, print, mode } = options;
  const start = clock.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const stamp = () => `[${((clock.now() - start) / 1000).toFixed(1).padStart(6)}s]`;
  const log = (line: string) => print(`${stamp()} ${line}`);
  const report: FailoverReport = {
    tool: 'todomgmt-failover',
    driver: driver.name,
    mode,
    dryRun: options.dryRun,
    startedAt: iso(start),
    preflight: [],
    steps: [],
    alreadyInPlace: [],
    notes: [],
  };
  const note = (line: string) => {
    if (!report.notes.includes(line)) report.notes.push(line);
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
    const entry: StepRecord = { name, startedAt: iso(began) };
    report.steps.push(entry);
    log(`${name} ...`);
    try {
      const result = await body();
      const summary = summarize(result);
      entry.alreadyInPlace = summary.alreadyInPlace;
      entry.detail = summary.detail;
      if (summary.alreadyInPlace) report.alreadyInPlace.push(name);
      for (const line of summary.notes ?? []) note(line);
      log(`${name}: ${summary.alreadyInPlace ? 'already in place: ' : ''}${summary.detail ?? 'done'} (${secondsSince(clock, began)} s)`);
      return result;
    } catch (error) {
      entry.error = error instanceof Error ? error.message : String(error);
      log(`${name} FAILED: ${entry.error}`);
      throw error;
    } finally {
      entry.endedAt = iso(clock.now());
      entry.seconds = round((clock.now() - began) / 1000);
    }
  };
  const outcome = (result: StepOutcome) => result;

  // Usage errors found without calling anything (an unknown --to, a mode the driver cannot do) are thrown.
  if (!driver.modes.includes(mode)) {
    throw new UsageError(`--mode ${mode} is not available with the ${driver.name} driver (use ${driver.modes.join(' | ')})`);
  }
  const requested = resolveRole(driver, options.to);

  // The run record: where it may be written (the regions this run may call), and its last state.
  let record: RunRecord | undefined;
  let recordRoles: RegionRole[] = [];
  const save = async (next: RunRecord): Promise<void> => {
    record = next;
    const written = await driver.saveRunRecord(next, recordRoles);
    const skipped = REGION_ROLES.filter((r) => !recordRoles.includes(r)).map((role) => ({
      role,
      saved: false,
      detail: `${driver.regionNames[role]}: not written (not contacted by this ${mode})`,
    }));
    const writes = [...written, ...skipped];
    const missed = writes.filter((w) => !w.saved).map((w) => w.detail);
    if (missed.length > 0 && report.runRecord?.writes.map((w) => w.detail).join() !== writes.map((w) => w.detail).join()) {
      log(`run record (${next.state}${next.lastStep ? `, after ${next.lastStep}` : ''}): ${missed.join('; ')}`);
    }
    report.runRecord = { state: next.state, lastStep: next.lastStep, writes };
  };
  const advance = async (done: RecordedStep, lost?: RunRecord['lostWrites']) => {
    if (record) await save(advanceRecord(withLostWrites(record, lost), done, iso(clock.now())));
  };

  try {
    let request = regionsToContact(mode, requested);
    let topology = await step(
      'discover',
      () => driver.discover(request),
      (t) => ({ detail: describeTopology(t) }),
    );
    const direction = chooseDirection(mode, topology, requested);
    if (!request.contact.includes(direction.to)) {
      // The unfinished run on record goes to the region this mode did not call by default.
      request = regionsToContact(mode, direction.to);
      const target = driver.regionNames[direction.to];
      topology = await step(
        `discover (${target})`,
        () => driver.discover(request),
        (t) => ({ detail: describeTopology(t) }),
      );
    }
    report.from = { role: direction.from, region: topology.regions[direction.from].region };
    report.to = { role: direction.to, region: topology.regions[direction.to].region };
    report.direction = direction.why;
    const move: Move = { mode, from: direction.from, to: direction.to, topology };
    recordRoles = REGION_ROLES.filter((r) => request.contact.includes(r) || topology.regions[r].health?.answered === true);

    const target = topology.regions[move.to];
    const needsLag = target.reachable && target.isWriter !== true && MODES[mode].measuresLag;
    const lag: LagReading | undefined = needsLag
      ? await step(
          'measure replication lag',
          () => driver.replicationLag(move),
          (l) => ({ detail: l.seconds === undefined ? `no recent ${l.source} datapoint` : `${l.seconds.toFixed(1)} s (${l.source})` }),
        )
      : undefined;
    report.replicationLagSeconds = lag?.seconds;
    report.replicationLagSource = lag?.source;
    const targetApi: RegionProbe | undefined =
      target.reachable && target.apiUrl !== undefined
        ? await step(
            'ask the target API',
            () => probeRegion(probeUrl(target.apiUrl!), { get: (u, t) => driver.httpGet(u, t), clock, expect: target.region, attempts: 2 }),
            (p) => ({ detail: p.region ?? p.error ?? `HTTP ${p.status}` }),
          )
        : undefined;

    const checks = preflight({
      move,
      lag,
      maxLagSeconds: options.maxLagSeconds ?? DEFAULT_MAX_LAG_SECONDS,
      targetApi,
      force: options.force,
      traffic: options.traffic,
    });
    report.preflight = checks;
    const lost = lostWritesToKeep(topology, move);
    printPlan(print, driver, move, direction.why, checks, warnings(move, lag), lost, options.traffic);

    const intent = { mode, from: move.from, to: move.to };
    const refused = refusals(checks);
    if (refused.length > 0) {
      const why = refused.map((c) => `${c.name}: ${c.detail}${c.forceable ? ' (--force overrides)' : ''}`).join('; ');
      print(`Refused, nothing was changed. ${why}`);
      const entry = refusedRecord(topology.runRecord, intent, iso(clock.now()), why, options.by);
      if (entry) await save(entry);
      return finish('refused', why);
    }
    if (options.dryRun) {
      print('Dry run: stopping after the plan, nothing was changed.');
      return finish('dry-run');
    }
    if (!options.yes && !(await options.confirm(`Proceed with the ${mode} to ${target.region}? [y/N] `))) {
      print('Not confirmed: nothing was changed.');
      return finish('declined');
    }

    await save(startRecord(topology.runRecord, intent, iso(start), options.by));
    const promoted = await step(`promote (${mode})`, () => driver.promote(move, { progress: log }), outcome);
    // A data-loss promotion that happened now leaves the old primary's unreplicated writes to be kept.
    await advance(
      'promote',
      MODES[mode].mayLoseWrites && !promoted.alreadyInPlace ? { from: move.from, since: iso(clock.now()) } : undefined,
    );
    await step('proxy', () => driver.ensureProxy(move, { progress: log }), outcome);
    await advance('proxy');
    await step('traffic', () => driver.switchTraffic(move, { progress: log, wait: options.wait, method: options.traffic }), outcome);
    await advance('traffic');
    try {
      await step('tokens', () => driver.ensureTokens(move, { progress: log }), outcome);
    } catch (error) {
      // The writer and the traffic have moved; tokens from the old region keep working until they expire.
      note(`Tokens: ${(error as Error).message}. Run the same command again to retry.`);
    }
    const verified = await step(
      'verify',
      () => verify(driver, move, request, options.wait, clock),
      (v) => ({ detail: v.detail, notes: v.notes }),
    );
    report.probes = verified.probes;
    await advance('verify');
    await keepLostWrites(driver, topology, record?.lostWrites, request, {
      step,
      log,
      note,
      report,
      save: async (kept) => {
        if (record?.lostWrites)
          await save(advanceRecord({ ...record, lostWrites: { ...record.lostWrites, kept } }, 'keep lost writes', iso(clock.now())));
      },
    });

    const noOp = ['promote', 'proxy', 'traffic'].every((n) => report.alreadyInPlace.some((s) => s.startsWith(n)));
    print('');
    print(
      noOp
        ? `Nothing to do: ${target.region} was already the writer and serving traffic.`
        : `Done: ${target.region} is the writer and serves the API.`,
    );
    if (record) await save(endRecord(record, 'completed', iso(clock.now())));
    for (const line of report.notes) print(`Note: ${line}`);
    printTimeline(print, report);
    return finish(noOp ? 'no-op' : 'completed');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const changing = report.steps.some((s) => /^(promote|proxy|traffic)/.test(s.name));
    if (record) await save(endRecord(record, 'stopped', iso(clock.now()), message)).catch(() => undefined);
    if (changing) {
      print('Stopped. Every step checks before it acts: fix the cause and run the same command again to resume.');
      return finish('failed', message);
    }
    print('Stopped before changing anything.');
    // The operator's to fix (a bad id, an ambiguous direction) and nothing changed: refused, like a bad flag.
    const usersFault = error instanceof FailoverError && error.fault === 'user';
    return finish(usersFault ? 'refused' : 'failed', message);
  }
}

/** The lost writes on record that this run can keep: their region is one it calls, or one that answered. */
function lostWritesToKeep(topology: Topology, move: Move): RunRecord['lostWrites'] {
  const pending = topology.runRecord?.lostWrites;
  if (pending && !pending.kept) return pending;
  return MODES[move.mode].mayLoseWrites && topology.regions[move.to].isWriter !== true
    ? { from: move.from, since: '(this run)' }
    : undefined;
}

interface KeepContext {
  readonly step: <T>(name: string, body: () => Promise<T>, summarize: (r: T) => Partial<StepOutcome>) => Promise<T>;
  readonly log: (line: string) => void;
  readonly note: (line: string) => void;
  readonly report: FailoverReport;
  readonly save: (kept: string) => Promise<void>;
}

/**
 * Aurora snapshots an old primary's volume when it rebuilds it after a data-loss failover, as an
 * automated snapshot that expires with that cluster's backup retention (Aurora user guide, "Using
 * switchover or failover in Amazon Aurora Global Database"). Whichever run first reaches that region
 * makes the lasting copy; until then each run says what is still to be done.
 */
async function keepLostWrites(
  driver: FailoverDriver,
  topology: Topology,
  lost: RunRecord['lostWrites'],
  request: DiscoverRequest,
  c: KeepContext,
): Promise<void> {
  if (!lost || lost.kept) return;
  const old = topology.regions[lost.from];
  c.report.lostWrites = { ...lost, region: old.region };
  const reachable = request.contact.includes(lost.from) || old.health?.answered === true;
  if (!reachable) {
    // Where those writes survive is the driver's: Aurora's snapshot on AWS, a dump of the rebuilt database locally.
    c.note(
      driver.name === 'aws'
        ? `Writes ${old.region} had not replicated are lost to the new primary; ` +
            `Aurora keeps them in a snapshot of ${old.clusterId} when ${old.region} recovers. ` +
            'Run the same command again then (a no-op for the writer): it copies that snapshot to a manual one.'
        : `Writes ${old.region} had not replicated are lost to the new primary; if it holds any when it is revived, its data is ` +
            `dumped before it is rebuilt. Run the same command again then (a no-op for the writer): it names the dump.`,
    );
    return;
  }
  let kept;
  try {
    kept = await c.step(
      'keep lost writes',
      () => driver.keepLostWrites(topology, lost.from, lost.since, { progress: c.log }),
      (k) => k,
    );
  } catch (error) {
    // The writer and the traffic have moved: a copy that failed is for the next run, not a failed failover.
    c.note(`The lost writes of ${old.region} are not kept yet: ${(error as Error).message}. Run the same command again to retry.`);
    return;
  }
  for (const line of kept.notes ?? []) c.note(line);
  if (kept.kept !== undefined) {
    c.report.lostWrites = { ...lost, region: old.region, kept: kept.kept };
    await c.save(kept.kept);
  }
}

const round = (n: number) => Math.round(n * 10) / 10;
const secondsSince = (clock: Clock, began: number) => round((clock.now() - began) / 1000);
