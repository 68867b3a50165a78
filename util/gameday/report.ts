// The game day's numbers, computed from what the clients recorded: RPO (acknowledged writes lost or
// changed, and when they were acknowledged), RTO (the client-observed write and read outages, and the
// time from the failover's start to the first success in the new region), latency, and the pass/fail
// targets. Pure functions over the timeline arithmetic in timeline.ts.
import type { FailoverReport } from '#failover/report';
import { NOT_A_REGION, type AckedWrite, type Marker, type RequestKind, type RequestRecord } from './recorder';
import { firstSuccessIn, outageWindow, percentile, round3, type OutageWindow } from './timeline';
import type { Finding, Verification } from './verifier';

export type Scenario = 'switchover' | 'failover' | 'failback' | 'observe';
export const LOCAL_SCENARIOS: readonly Scenario[] = ['switchover', 'failover', 'failback'];

/** The writes an unplanned failover may lose: what the replica had not applied when the primary died. */
export interface LagAtKill {
  /** When the last GTID positions of both databases were read before the primary died. */
  readonly sampledAt: string;
  readonly writerPosition: string;
  readonly replicaPosition: string;
  /** Transactions in the writer's binlog that the replica had not applied at that sample. */
  readonly transactionsBehind: number;
  /** Writes the old primary acknowledged after that sample (they may not have replicated either). */
  readonly acknowledgedAfterSample: number;
  /** The bound: transactionsBehind + acknowledgedAfterSample. */
  readonly writesInLag: number;
}

export interface TargetResult {
  readonly name: string;
  readonly limit: string;
  readonly actual: string;
  readonly pass: boolean;
}

export interface WriteSummary {
  readonly id: number;
  readonly op: AckedWrite['op'];
  readonly task: string;
  readonly status: string;
  readonly acknowledgedAt: string;
  readonly region: string;
  readonly reason: string;
}

export interface GameDayReport {
  readonly tool: 'todomgmt-gameday';
  readonly scenario: Scenario;
  readonly target: { readonly kind: 'local' | 'remote'; readonly edgeUrl: string; readonly note?: string };
  readonly startedAt: string;
  readonly endedAt: string;
  /** Seconds of traffic actually run (longer than asked when the scenario's action needed it). */
  readonly durationSeconds: number;
  readonly requestedDurationSeconds: number;
  readonly traffic: {
    readonly writers: number;
    readonly readers: number;
    readonly ratePerClient: number;
    readonly timeoutMs: number;
    readonly requests: number;
    readonly ok: number;
    readonly failed: number;
    readonly errors: Readonly<Record<string, number>>;
  };
  readonly acknowledgedWrites: number;
  readonly lostWrites: number;
  readonly changedWrites: number;
  /** Acknowledged writes that could not be read back at all (neither kept nor lost). */
  readonly unverifiedWrites: number;
  readonly rpo: {
    /** When the lost or changed writes were acknowledged; null when none were. */
    readonly window: { readonly from: string; readonly to: string; readonly seconds: number } | null;
    readonly lost: readonly WriteSummary[];
    readonly changed: readonly WriteSummary[];
    readonly unacknowledgedApplied: number;
  };
  /** From the failover's start to the first successful write answered by the new region (reads when there are no writers). */
  readonly rtoSeconds: number | null;
  readonly rto: {
    readonly failoverStartedAt: string | null;
    readonly newRegion: string | null;
    readonly toFirstWriteSeconds: number | null;
    readonly toFirstReadSeconds: number | null;
    readonly note?: string;
  };
  readonly writeErrorWindowSeconds: number;
  readonly readErrorWindowSeconds: number;
  readonly outages: { readonly write: OutageSummary; readonly read: OutageSummary };
  /** Every region that answered, in the order they first did. */
  readonly regions: readonly string[];
  readonly byRegion: Readonly<Record<string, { readonly ok: number; readonly failed: number }>>;
  /** Milliseconds, successful requests. */
  readonly latency: { readonly p50: number | null; readonly p99: number | null };
  readonly latencyByKind: Readonly<Record<RequestKind, { readonly p50: number | null; readonly p99: number | null }>>;
  readonly failover: {
    readonly mode: string;
    readonly from: string | null;
    readonly to: string | null;
    readonly outcome: string | null;
    readonly startedAt: string;
    readonly totalSeconds: number | null;
    readonly steps: readonly { readonly name: string; readonly startedAt: string; readonly seconds: number | null }[];
  } | null;
  readonly replicationLagAtKill: LagAtKill | null;
  /** Why the scenario's action failed, or null. */
  readonly actionError: string | null;
  readonly markers: readonly { readonly at: string; readonly t: number; readonly label: string; readonly source: Marker['source'] }[];
  readonly targets: readonly TargetResult[];
  /** false when a target failed; true also when there were no targets (remote). */
  readonly passed: boolean;
  readonly notes: readonly string[];
}

export interface OutageSummary {
  readonly failures: number;
  readonly seconds: number;
  readonly from: string | null;
  readonly to: string | null;
  readonly recovered: boolean;
  readonly failedFromStart: boolean;
}

export interface ReportInput {
  readonly scenario: Scenario;
  readonly target: GameDayReport['target'];
  readonly trafficStartMs: number;
  readonly trafficEndMs: number;
  readonly requestedDurationSeconds: number;
  readonly traffic: Pick<GameDayReport['traffic'], 'writers' | 'readers' | 'ratePerClient' | 'timeoutMs'>;
  readonly requests: readonly RequestRecord[];
  readonly acked: readonly AckedWrite[];
  readonly verification: Verification;
  readonly failover?: FailoverReport;
  /** The failover's start when no failover report is at hand (a polled pipeline's failover action). */
  readonly failoverStartedAtMs?: number;
  readonly markers: readonly Marker[];
  readonly lagAtKill?: LagAtKill;
  /** The scenario's action failed (the kill, or the failover program threw). */
  readonly actionError?: string;
  readonly notes?: readonly string[];
}

export function buildReport(input: ReportInput): GameDayReport {
  const { requests, trafficStartMs: start, trafficEndMs: end } = input;
  const iso = (ms: number) => new Date(ms).toISOString();
  const writes = requests.filter((r) => r.kind === 'write');
  const reads = requests.filter((r) => r.kind === 'read');
  const writeOutage = outageWindow(writes, start, end);
  const readOutage = outageWindow(reads, start, end);
  const summary = (w: OutageWindow): OutageSummary => ({
    failures: w.failures,
    seconds: w.seconds,
    from: w.fromMs === undefined ? null : iso(w.fromMs),
    to: w.toMs === undefined ? null : iso(w.toMs),
    recovered: w.recovered,
    failedFromStart: w.failedFromStart,
  });

  const regions: string[] = [];
  const byRegion: Record<string, { ok: number; failed: number }> = {};
  const errors: Record<string, number> = {};
  for (const r of [...requests].sort((a, b) => a.doneAt - b.doneAt)) {
    const c = (byRegion[r.region] ??= { ok: 0, failed: 0 });
    if (r.ok) c.ok++;
    else {
      c.failed++;
      errors[r.error ?? 'failed'] = (errors[r.error ?? 'failed'] ?? 0) + 1;
    }
    if (r.ok && !regions.includes(r.region) && !NOT_A_REGION.includes(r.region)) regions.push(r.region);
  }

  const latencies = (kind?: RequestKind) => requests.filter((r) => r.ok && (!kind || r.kind === kind)).map((r) => r.doneAt - r.sentAt);
  const pp = (values: number[]) => ({ p50: ms1(percentile(values, 50)), p99: ms1(percentile(values, 99)) });

  const { verification: v } = input;
  const bad = [...v.lost, ...v.changed];
  const ackTimes = bad.map((f) => f.write.ackAt);
  const toSummary = (f: Finding): WriteSummary => ({
    id: f.write.id,
    op: f.write.op,
    task: f.write.task,
    status: f.write.status,
    acknowledgedAt: iso(f.write.ackAt),
    region: f.write.region,
    reason: f.reason,
  });

  const rto = recoveryTime(input, writes.length > 0);
  const failover = input.failover;
  const report: Omit<GameDayReport, 'targets' | 'passed'> = {
    tool: 'todomgmt-gameday',
    scenario: input.scenario,
    target: input.target,
    startedAt: iso(start),
    endedAt: iso(end),
    durationSeconds: round3((end - start) / 1000),
    requestedDurationSeconds: input.requestedDurationSeconds,
    traffic: {
      ...input.traffic,
      requests: requests.length,
      ok: requests.filter((r) => r.ok).length,
      failed: requests.filter((r) => !r.ok).length,
      errors,
    },
    acknowledgedWrites: input.acked.length,
    lostWrites: v.lost.length,
    changedWrites: v.changed.length,
    unverifiedWrites: v.unverified.length,
    rpo: {
      window:
        ackTimes.length > 0
          ? {
              from: iso(Math.min(...ackTimes)),
              to: iso(Math.max(...ackTimes)),
              seconds: round3((Math.max(...ackTimes) - Math.min(...ackTimes)) / 1000),
            }
          : null,
      // The first few of each, for the summary; the report stays readable with thousands of writes.
      lost: v.lost.slice(0, 50).map(toSummary),
      changed: v.changed.slice(0, 50).map(toSummary),
      unacknowledgedApplied: v.unacknowledgedApplied,
    },
    rtoSeconds: rto.rtoSeconds,
    rto: rto.detail,
    writeErrorWindowSeconds: writeOutage.seconds,
    readErrorWindowSeconds: readOutage.seconds,
    outages: { write: summary(writeOutage), read: summary(readOutage) },
    regions,
    byRegion,
    latency: pp(latencies()),
    latencyByKind: { read: pp(latencies('read')), write: pp(latencies('write')) },
    failover: failover
      ? {
          mode: failover.mode,
          from: failover.from?.region ?? null,
          to: failover.to?.region ?? null,
          outcome: failover.outcome ?? null,
          startedAt: failover.startedAt,
          totalSeconds: failover.totalSeconds ?? null,
          steps: failover.steps.map((s) => ({ name: s.name, startedAt: s.startedAt, seconds: s.seconds ?? null })),
        }
      : null,
    replicationLagAtKill: input.lagAtKill ?? null,
    actionError: input.actionError ?? null,
    markers: [...input.markers]
      .sort((a, b) => a.at - b.at)
      .map((m) => ({ at: iso(m.at), t: round3((m.at - start) / 1000), label: m.label, source: m.source })),
    notes: [...(input.notes ?? []), ...(rto.note ? [rto.note] : [])],
  };
  const targets = targetsFor(report, writes.length > 0, reads.length > 0);
  return { ...report, targets, passed: targets.every((t) => t.pass) };
}

function recoveryTime(input: ReportInput, hasWriters: boolean) {
  const failover = input.failover;
  const startMs = failover ? Date.parse(failover.startedAt) : input.failoverStartedAtMs;
  // Without a failover report, the new region is the one that answered last, if it is not the first one.
  const answered = input.requests.filter((r) => r.ok && !NOT_A_REGION.includes(r.region)).sort((a, b) => a.doneAt - b.doneAt);
  const lastRegion = answered.length > 0 ? answered[answered.length - 1].region : undefined;
  const newRegion = failover?.to?.region ?? (lastRegion !== answered[0]?.region ? lastRegion : undefined);
  const seconds = (kind: RequestKind) => {
    if (startMs === undefined || newRegion === undefined) return null;
    const first = firstSuccessIn(input.requests, newRegion, startMs, kind);
    return first === undefined ? null : round3((first - startMs) / 1000);
  };
  const toFirstWriteSeconds = seconds('write');
  const toFirstReadSeconds = seconds('read');
  const note =
    startMs === undefined
      ? 'rtoSeconds is unknown: no failover start was seen (locally the failover report gives it; against AWS poll the pipeline ' +
        'with --pipeline, or pass the failover report with --failover-report)'
      : newRegion === undefined
        ? 'rtoSeconds is unknown: no region other than the first one answered'
        : undefined;
  return {
    rtoSeconds: hasWriters ? toFirstWriteSeconds : toFirstReadSeconds,
    detail: {
      failoverStartedAt: startMs === undefined ? null : new Date(startMs).toISOString(),
      newRegion: newRegion ?? null,
      toFirstWriteSeconds,
      toFirstReadSeconds,
      ...(note ? { note } : {}),
    },
    note,
  };
}

/** Switchover (and the planned failback): no loss, write outage ≤ 1 s, no read fails. Failover: lost ≤ the replication lag. */
export const SWITCHOVER_MAX_WRITE_OUTAGE_SECONDS = 1;

export function targetsFor(report: Omit<GameDayReport, 'targets' | 'passed'>, hasWriters: boolean, hasReaders: boolean): TargetResult[] {
  if (report.target.kind !== 'local' || report.scenario === 'observe') return [];
  const targets: TargetResult[] = [];
  const lostOrChanged = report.lostWrites + report.changedWrites;
  if (report.actionError !== null) {
    targets.push({ name: `the ${report.scenario} ran`, limit: 'no error', actual: report.actionError, pass: false });
  }
  if (report.failover) {
    targets.push({
      name: 'the failover program completed',
      limit: 'outcome completed',
      actual: `outcome ${report.failover.outcome}`,
      pass: report.failover.outcome === 'completed',
    });
  }
  if (report.scenario === 'switchover' || report.scenario === 'failback') {
    targets.push({ name: 'acknowledged writes lost or changed', limit: '0', actual: String(lostOrChanged), pass: lostOrChanged === 0 });
    if (hasWriters) {
      const w = report.outages.write;
      targets.push({
        name: 'write outage',
        limit: `≤ ${SWITCHOVER_MAX_WRITE_OUTAGE_SECONDS} s`,
        actual: `${w.seconds} s${w.recovered ? '' : ' (never recovered)'}`,
        pass: w.recovered && w.seconds <= SWITCHOVER_MAX_WRITE_OUTAGE_SECONDS,
      });
    }
    if (hasReaders) {
      const r = report.outages.read;
      targets.push({
        name: 'read outage',
        limit: '0 s (no failed read)',
        actual: `${r.seconds} s, ${r.failures} failed`,
        pass: r.failures === 0,
      });
    }
  }
  if (report.scenario === 'failover') {
    const lag = report.replicationLagAtKill;
    targets.push({
      name: 'acknowledged writes lost or changed',
      limit: lag
        ? `≤ ${lag.writesInLag} (the writes inside the replication lag at the kill)`
        : '≤ the writes inside the replication lag (not measured)',
      actual: String(lostOrChanged),
      pass: lag !== null && lostOrChanged <= lag.writesInLag,
    });
    targets.push({
      name: 'writes succeed in the new region',
      limit: 'a successful write after the failover',
      actual: report.rtoSeconds === null ? 'none' : `${report.rtoSeconds} s after the failover started`,
      pass: !hasWriters || report.rtoSeconds !== null,
    });
  }
  if (report.unverifiedWrites > 0) {
    targets.push({
      name: 'every acknowledged write read back',
      limit: '0 unreadable',
      actual: String(report.unverifiedWrites),
      pass: false,
    });
  }
  return targets;
}

const ms1 = (n: number | undefined) => (n === undefined ? null : Math.round(n * 10) / 10);
