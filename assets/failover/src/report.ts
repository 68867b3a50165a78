// The JSON record of a run, kept by CodeBuild as an artifact: what was asked, what was found, what each
// step did and when, so an RTO can be read off it afterwards.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FailoverMode, RegionRole } from '#names';
import type { Check } from './checks';
import type { RecordWrite } from './driver';
import type { RegionProbe } from './http-probe';
import type { LostWrites, RunState } from './run-record';

export type RunOutcome = 'completed' | 'no-op' | 'dry-run' | 'refused' | 'declined' | 'failed';

export interface StepRecord {
  readonly name: string;
  readonly startedAt: string;
  endedAt?: string;
  seconds?: number;
  alreadyInPlace?: boolean;
  detail?: string;
  error?: string;
}

export interface FailoverReport {
  readonly tool: 'todomgmt-failover';
  readonly driver: string;
  readonly mode: FailoverMode;
  readonly dryRun: boolean;
  from?: { readonly role: RegionRole; readonly region: string };
  to?: { readonly role: RegionRole; readonly region: string };
  direction?: string;
  readonly startedAt: string;
  endedAt?: string;
  totalSeconds?: number;
  outcome?: RunOutcome;
  error?: string;
  replicationLagSeconds?: number;
  /** The metric (or local measure) the lag was read from. */
  replicationLagSource?: string;
  preflight: Check[];
  steps: StepRecord[];
  /** Names of the steps that found their work already done. */
  alreadyInPlace: string[];
  notes: string[];
  /** The run record as last written, and where it was (or was not) saved. */
  runRecord?: { state: RunState; lastStep?: string; writes: RecordWrite[] };
  /** What the GETs without credentials found: which region answers the target's API and the edge. */
  probes?: RegionProbe[];
  /** After a data-loss failover: the old primary's writes that never replicated, and the copy that keeps them. */
  lostWrites?: LostWrites & { readonly region: string };
  /** How long the job took to its first AWS call (the cost of starting the program during a disaster). */
  startup?: {
    readonly firstCallSeconds?: number;
    /** From CodeBuild's CODEBUILD_START_TIME, when the job runs there. */
    readonly firstCallSinceBuildStartSeconds?: number;
    readonly node: string;
  };
}

export function writeReport(file: string, report: FailoverReport): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
