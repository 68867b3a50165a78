// The arithmetic of a game day's timeline: client-observed outage windows, the first success in a
// region, percentiles and the per-100-ms bins the chart draws. Pure functions over what the clients
// recorded, tested on synthetic timelines.
import type { RequestKind, RequestRecord } from './recorder';

/** One client-observed outage: from the last success before the first failure to the first success after the last. */
export interface OutageWindow {
  readonly failures: number;
  readonly seconds: number;
  /** Epoch ms; the traffic's start when nothing had succeeded before the first failure. */
  readonly fromMs?: number;
  /** Epoch ms; undefined when nothing succeeded after the last failure (then `seconds` runs to the traffic's end). */
  readonly toMs?: number;
  readonly recovered: boolean;
  /** Nothing succeeded before the first failure: the outage may have begun before the traffic did. */
  readonly failedFromStart: boolean;
}

type Timed = Pick<RequestRecord, 'sentAt' | 'doneAt' | 'ok'>;

/**
 * A failure is placed at the time its request was sent (the state of the system then; a timeout's answer
 * comes `timeout` later), a success at the time its answer arrived (when the client knew it worked).
 */
export function outageWindow(requests: readonly Timed[], trafficStartMs: number, trafficEndMs: number): OutageWindow {
  const failures = requests.filter((r) => !r.ok);
  if (failures.length === 0) return { failures: 0, seconds: 0, recovered: true, failedFromStart: false };
  const firstFailure = Math.min(...failures.map((r) => r.sentAt));
  const lastFailure = Math.max(...failures.map((r) => r.sentAt));
  const successes = requests.filter((r) => r.ok);
  const before = successes.filter((r) => r.doneAt <= firstFailure).map((r) => r.doneAt);
  const after = successes.filter((r) => r.sentAt >= lastFailure).map((r) => r.doneAt);
  const fromMs = before.length > 0 ? Math.max(...before) : trafficStartMs;
  const toMs = after.length > 0 ? Math.min(...after) : undefined;
  return {
    failures: failures.length,
    seconds: round3(((toMs ?? trafficEndMs) - fromMs) / 1000),
    fromMs,
    toMs,
    recovered: toMs !== undefined,
    failedFromStart: before.length === 0,
  };
}

/** The first answer from `region` that succeeded at or after `sinceMs`, as epoch ms. */
export function firstSuccessIn(
  requests: readonly RequestRecord[],
  region: string,
  sinceMs: number,
  kind?: RequestKind,
): number | undefined {
  const times = requests
    .filter((r) => r.ok && r.region === region && r.doneAt >= sinceMs && (!kind || r.kind === kind))
    .map((r) => r.doneAt);
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** Nearest-rank percentile; undefined for no values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export interface Bin {
  /** Seconds from the traffic's start to the bin's start. */
  readonly t: number;
  readonly region: string;
  readonly outcome: 'ok' | 'failed';
  readonly count: number;
}

/** Requests per `binMs` by the time they were sent, per answering region and outcome; empty bins left out. */
export function binRequests(requests: readonly RequestRecord[], startMs: number, binMs = 100): Bin[] {
  const counts = new Map<string, Bin>();
  for (const r of requests) {
    const index = Math.floor((r.sentAt - startMs) / binMs);
    const outcome = r.ok ? 'ok' : 'failed';
    const key = `${index}|${r.region}|${outcome}`;
    const bin = counts.get(key);
    counts.set(key, { t: round3((index * binMs) / 1000), region: r.region, outcome, count: (bin?.count ?? 0) + 1 });
  }
  return [...counts.values()].sort((a, b) => a.t - b.t || a.region.localeCompare(b.region));
}

/** Seconds to the millisecond, for the report. */
export const round3 = (n: number) => Math.round(n * 1000) / 1000;
