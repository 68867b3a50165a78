// What the game day's clients saw, kept in memory while traffic runs: every request (when it was sent,
// when it ended, how, and which region answered), every acknowledged write with its id and content, and
// every write whose outcome the client cannot know (a timeout or a 5xx may still have committed).
// Times are epoch milliseconds with sub-millisecond precision (performance.timeOrigin + performance.now()).

export type RequestKind = 'read' | 'write';
export type WriteOp = 'create' | 'update';

/** The label of requests that got no HTTP answer at all: timeouts, refused or reset connections. */
export const NO_REGION = 'no answer';
/** The label of HTTP answers that named no region: the edge's own errors (502/504), or a region that does not set the header. */
export const EDGE_ONLY = 'edge (no region header)';
/** Labels that are not regions, last in legends and never a "new region". */
export const NOT_A_REGION: readonly string[] = [EDGE_ONLY, NO_REGION];

export interface RequestRecord {
  readonly kind: RequestKind;
  readonly client: string;
  readonly sentAt: number;
  readonly doneAt: number;
  readonly ok: boolean;
  /** HTTP status; undefined when no answer came (timeout, connection refused). */
  readonly status?: number;
  /** The answering region (REGION_HEADER), EDGE_ONLY or NO_REGION. */
  readonly region: string;
  /** Why it failed, short: `503`, `timeout`, `ECONNREFUSED`, `wrong content`. */
  readonly error?: string;
}

export interface WriteContent {
  readonly task: string;
  readonly status: string;
}

/** A write the API acknowledged (201 or 200 with the ToDo): it must be readable afterwards. */
export interface AckedWrite extends WriteContent {
  readonly id: number;
  readonly op: WriteOp;
  readonly client: string;
  readonly sentAt: number;
  readonly ackAt: number;
  readonly region: string;
  /** Before the traffic started (the readers' rows) or during it. */
  readonly phase: 'seed' | 'traffic';
}

/** An update that got no definite answer: it may or may not have been applied. */
export interface AmbiguousWrite extends WriteContent {
  readonly id: number;
  readonly client: string;
  readonly sentAt: number;
  readonly doneAt: number;
  readonly error: string;
}

/** A moment on the timeline: a failover step, the kill of a region, a pipeline action changing status. */
export interface Marker {
  readonly at: number;
  readonly label: string;
  /** Who said so: the failover program's report, the scenario runner, or the polled pipeline. */
  readonly source: 'failover' | 'scenario' | 'pipeline';
  /** When the step ended, if it is a span. */
  readonly endAt?: number;
}

export const now = (): number => performance.timeOrigin + performance.now();

export class Recorder {
  readonly requests: RequestRecord[] = [];
  readonly acked: AckedWrite[] = [];
  readonly ambiguous: AmbiguousWrite[] = [];

  request(record: RequestRecord): void {
    this.requests.push(record);
  }

  ack(write: AckedWrite): void {
    this.acked.push(write);
  }

  unsure(write: AmbiguousWrite): void {
    this.ambiguous.push(write);
  }

  /** Per region, requests that ended ok / failed within (from, to]. */
  countsBetween(from: number, to: number): Map<string, { ok: number; failed: number }> {
    const counts = new Map<string, { ok: number; failed: number }>();
    // Newest last: walk back until the window is left.
    for (let i = this.requests.length - 1; i >= 0; i--) {
      const r = this.requests[i];
      if (r.doneAt <= from) break;
      if (r.doneAt > to) continue;
      const c = counts.get(r.region) ?? { ok: 0, failed: 0 };
      if (r.ok) c.ok++;
      else c.failed++;
      counts.set(r.region, c);
    }
    return counts;
  }
}

/** One status line: elapsed, then per answering region requests/s ok and failed over the last second. */
export function statusLine(recorder: Recorder, startedAt: number, at: number, durationSeconds: number, phase?: string): string {
  const counts = recorder.countsBetween(at - 1000, at);
  const rank = (r: string) => NOT_A_REGION.indexOf(r);
  const regions = [...counts.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  const parts = regions.map(([region, c]) => `${region} ${c.ok} ok/s${c.failed ? ` ${c.failed} failed/s` : ''}`);
  const elapsed = `${((at - startedAt) / 1000).toFixed(1).padStart(5)}s/${durationSeconds}s`;
  const writes = `${recorder.acked.filter((w) => w.phase === 'traffic').length} writes acked`;
  return `[${elapsed}] ${parts.length ? parts.join(' | ') : 'no answers in the last second'} | ${writes}${phase ? ` | ${phase}` : ''}`;
}
