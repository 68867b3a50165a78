// The JSON record of a run, kept by CodeBuild as an artifact: what was asked, what was found, what each
// step did and when, so an RTO can be read off it afterwards.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FailoverMode } from '#names';
import type { RegionRole } from '#names';
import type { Check } from './plan';

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
  preflight: Check[];
  steps: StepRecord[];
  /** Names of the steps that found their work already done. */
  alreadyInPlace: string[];
  notes: string[];
}

export function writeReport(file: string, report: FailoverReport): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
