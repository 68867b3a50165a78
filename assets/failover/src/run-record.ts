// The record of a run's intent (mode, direction, start, last step done), kept where both regions'
// failover pipelines can read it (AWS: the SSM parameter FAILOVER_RUN_PARAMETER in each region; locally:
// the state dir), so that a rerun finishes the run it follows instead of choosing a direction afresh.
//
// What a rerun without --to does, by the newest record (README, "Reruns"):
//   running / stopped after step N  → finishes that run: same target, every step checks first
//   completed                       → a new move; the region that is not the writer (a failback is allowed)
//   refused                         → as if it never ran (it changed nothing); the records before it decide
//   none                            → a new move, but a failback (towards pri) needs --to
import { FAILOVER_MODES, REGION_ROLES, type FailoverMode, type RegionRole } from '#names';

export type RunState = 'running' | 'stopped' | 'completed' | 'refused';
/** The steps that change something, in order; `lastStep` is the last one that finished. */
export const RECORDED_STEPS = ['promote', 'proxy', 'traffic', 'verify', 'keep lost writes'] as const;
export type RecordedStep = (typeof RECORDED_STEPS)[number];

export interface CompletedRun {
  readonly mode: FailoverMode;
  readonly from: RegionRole;
  readonly to: RegionRole;
  readonly endedAt: string;
}

export interface LostWrites {
  /** The old primary of a data-loss failover. */
  readonly from: RegionRole;
  readonly since: string;
  /** The copy that keeps them (a manual snapshot name, a dump file) once made. */
  readonly kept?: string;
}

export interface RunRecord {
  readonly version: 1;
  readonly mode: FailoverMode;
  readonly from: RegionRole;
  readonly to: RegionRole;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly state: RunState;
  readonly lastStep?: RecordedStep;
  readonly error?: string;
  /** Who ran it: the pipeline (CODEBUILD_INITIATOR) or `by hand`. */
  readonly by?: string;
  /** The last run that completed, carried forward by the records after it. */
  readonly lastCompleted?: CompletedRun;
  /** A data-loss failover whose lost writes are not kept yet (or are, with `kept`), carried forward. */
  readonly lostWrites?: LostWrites;
}

/** SSM standard parameters hold 4 KB; an error message is cut well below that. */
const MAX_ERROR = 600;

export const isUnfinished = (r: RunRecord | undefined): r is RunRecord => r?.state === 'running' || r?.state === 'stopped';

/** The last completed run the record knows of (itself, or the one it carries). */
export const lastCompleted = (r: RunRecord | undefined): CompletedRun | undefined =>
  r?.state === 'completed' ? { mode: r.mode, from: r.from, to: r.to, endedAt: r.updatedAt } : r?.lastCompleted;

/** "stopped after traffic" / "stopped before promote" for the plan. */
export function describeProgress(r: RunRecord): string {
  const where = r.lastStep ? `after ${r.lastStep}` : 'before its first change';
  return `${r.state === 'running' ? 'ended without a word' : 'stopped'} ${where}${r.error ? ` (${r.error})` : ''}`;
}

interface Intent {
  readonly mode: FailoverMode;
  readonly from: RegionRole;
  readonly to: RegionRole;
}

/** The record a run writes once it is approved, before its first change. */
export function startRecord(previous: RunRecord | undefined, intent: Intent, now: string, by?: string): RunRecord {
  return {
    version: 1,
    ...intent,
    startedAt: now,
    updatedAt: now,
    state: 'running',
    ...(by ? { by } : {}),
    ...carried(previous),
  };
}

export const advanceRecord = (r: RunRecord, step: RecordedStep, now: string): RunRecord => ({ ...r, lastStep: step, updatedAt: now });

export function endRecord(r: RunRecord, state: 'completed' | 'stopped', now: string, error?: string): RunRecord {
  const ended: RunRecord = { ...r, state, updatedAt: now, ...(error ? { error: error.slice(0, MAX_ERROR) } : {}) };
  return state === 'completed' ? { ...ended, lastCompleted: lastCompleted(ended) } : ended;
}

export const withLostWrites = (r: RunRecord, lost: LostWrites | undefined): RunRecord => (lost ? { ...r, lostWrites: lost } : r);

/**
 * A refused run changed nothing. It is recorded (so the other region's pipeline sees why it was refused)
 * unless an unfinished run is on record: that intent must survive for the rerun that finishes it.
 */
export function refusedRecord(
  previous: RunRecord | undefined,
  intent: Intent,
  now: string,
  why: string,
  by?: string,
): RunRecord | undefined {
  if (isUnfinished(previous)) return undefined;
  return { ...startRecord(previous, intent, now, by), state: 'refused', error: why.slice(0, MAX_ERROR) };
}

function carried(previous: RunRecord | undefined): Pick<RunRecord, 'lastCompleted' | 'lostWrites'> {
  const done = lastCompleted(previous);
  const lost = previous?.lostWrites;
  return { ...(done ? { lastCompleted: done } : {}), ...(lost && !lost.kept ? { lostWrites: lost } : {}) };
}

export class RunRecordFormatError extends Error {}

/** Parses a stored record; anything else is refused with what is wrong (a hand edit, another tool's value). */
export function parseRunRecord(text: string): RunRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RunRecordFormatError('not JSON');
  }
  const r = value as Partial<RunRecord> | null;
  const role = (x: unknown) => REGION_ROLES.includes(x as RegionRole);
  const time = (x: unknown) => typeof x === 'string' && !Number.isNaN(Date.parse(x));
  const problems = [
    r?.version !== 1 && 'version is not 1',
    !FAILOVER_MODES.includes(r?.mode as FailoverMode) && 'mode',
    (!role(r?.from) || !role(r?.to) || r?.from === r?.to) && 'from/to',
    (!time(r?.startedAt) || !time(r?.updatedAt)) && 'startedAt/updatedAt',
    !['running', 'stopped', 'completed', 'refused'].includes(r?.state as string) && 'state',
    r?.lastStep !== undefined && !RECORDED_STEPS.includes(r.lastStep) && 'lastStep',
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) throw new RunRecordFormatError(`invalid ${problems.join(', ')}`);
  return r as RunRecord;
}

/** The newest of the copies read from the regions (a region that missed an update holds an older one). */
export function newestRecord(records: readonly RunRecord[]): RunRecord | undefined {
  return [...records].sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt))[0];
}
