// After the traffic: every acknowledged write is read back through the edge, and each one is either
// kept, lost (its row is gone, or its id now holds another write: the id was given out again after an
// unplanned failover) or changed (the row holds an older version, or content no write of ours produced).
// The classification is a pure function so that the RPO arithmetic is tested on made-up histories.
import type { AckedWrite, AmbiguousWrite, WriteContent } from './recorder';
import { apiCall, type ApiTarget } from './traffic';

export type ReadBack =
  | { readonly kind: 'found'; readonly task: string; readonly status: string }
  | { readonly kind: 'missing' }
  /** Could not be read (timeouts, 5xx) even after retries: neither kept nor lost. */
  | { readonly kind: 'unreadable'; readonly error: string };

export interface Finding {
  readonly write: AckedWrite;
  readonly reason: string;
  readonly found?: WriteContent;
}

export interface Verification {
  readonly checked: number;
  readonly kept: number;
  readonly lost: readonly Finding[];
  readonly changed: readonly Finding[];
  readonly unverified: readonly Finding[];
  /** Rows showing an update whose answer never came (timeout, 5xx): applied after all, not a loss. */
  readonly unacknowledgedApplied: number;
}

const same = (a: WriteContent, b: WriteContent) => a.task === b.task && a.status === b.status;
const describe = (c: WriteContent) => `${JSON.stringify(c.task)}/${JSON.stringify(c.status)}`;

/**
 * Classifies every acknowledged write against what its id reads back as. Per id, writes are taken in
 * the order they were acknowledged. A second acknowledged create of the same id means the first row was
 * lost and the id handed out again, so everything acknowledged on that id before it is lost. From the
 * last create on, the row must show the last acknowledged content, or a later update whose answer never
 * came (it may have committed).
 */
export function classify(
  acked: readonly AckedWrite[],
  ambiguous: readonly AmbiguousWrite[],
  readBack: ReadonlyMap<number, ReadBack>,
): Verification {
  const lost: Finding[] = [];
  const changed: Finding[] = [];
  const unverified: Finding[] = [];
  let kept = 0;
  let unacknowledgedApplied = 0;

  const byId = new Map<number, AckedWrite[]>();
  for (const w of acked) byId.set(w.id, [...(byId.get(w.id) ?? []), w]);

  for (const [id, writes] of byId) {
    writes.sort((a, b) => a.ackAt - b.ackAt);
    const lastCreate = writes.map((w) => w.op).lastIndexOf('create');
    const start = Math.max(lastCreate, 0);
    for (const w of writes.slice(0, start)) {
      lost.push({ write: w, reason: `its row was lost: id ${id} was given to a later write (${describe(writes[start])})` });
    }
    const chain = writes.slice(start);
    const row = readBack.get(id) ?? { kind: 'unreadable', error: 'not read back' };
    if (row.kind === 'unreadable') {
      for (const w of chain) unverified.push({ write: w, reason: `id ${id} could not be read back: ${row.error}` });
      continue;
    }
    if (row.kind === 'missing') {
      for (const w of chain) lost.push({ write: w, reason: `no row with id ${id}` });
      continue;
    }
    const found: WriteContent = { task: row.task, status: row.status };
    const last = chain[chain.length - 1];
    if (same(found, last)) {
      kept += chain.length;
      continue;
    }
    const lateAttempt = ambiguous.find((a) => a.id === id && a.sentAt > last.ackAt && same(a, found));
    if (lateAttempt) {
      kept += chain.length;
      unacknowledgedApplied++;
      continue;
    }
    const shown = chain.map((w) => same(w, found)).lastIndexOf(true);
    kept += shown + 1;
    for (const w of chain.slice(shown + 1)) {
      const reason =
        shown >= 0
          ? `id ${id} shows an older version (${describe(found)}) instead of ${describe(w)}`
          : `id ${id} holds ${describe(found)}, which no acknowledged write of this game day produced`;
      changed.push({ write: w, reason, found });
    }
  }
  return { checked: acked.length, kept, lost, changed, unverified, unacknowledgedApplied };
}

export interface ReadBackOptions {
  readonly concurrency?: number;
  readonly timeoutMs: number;
  /** Attempts per id before it counts as unreadable (a 5xx or a timeout is retried; 200 and 404 are answers). */
  readonly attempts?: number;
}

/** Reads each id once through the edge (GET /v1?id=), a few at a time, retrying what did not answer. */
export async function readBackIds(api: ApiTarget, ids: Iterable<number>, options: ReadBackOptions): Promise<Map<number, ReadBack>> {
  const queue = [...new Set(ids)];
  const results = new Map<number, ReadBack>();
  const attempts = options.attempts ?? 4;
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const answer = await apiCall(api, 'GET', `?id=${id}`, undefined, options.timeoutMs);
        if (answer.status === 200 && answer.todo) {
          results.set(id, { kind: 'found', task: answer.todo.task, status: answer.todo.status });
          break;
        }
        if (answer.status === 404) {
          results.set(id, { kind: 'missing' });
          break;
        }
        if (attempt === attempts) results.set(id, { kind: 'unreadable', error: answer.error ?? `HTTP ${answer.status}` });
        else await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  return results;
}

/**
 * Deletes the rows this game day created on a deployment that outlives it (AWS, or a rehearsal that was
 * already running): only ids whose content carries this run's prefix, so another client's row that got
 * a reused id is left alone. Besides the acknowledged ones, a write can commit while its answer is lost
 * (a timeout under load, a connection cut by the failover): the newest rows are listed, down to the oldest
 * id this run was acknowledged, and the run's rows among them go too. Returns how many were deleted and
 * what could not be.
 */
export async function deleteRunRows(
  api: ApiTarget,
  readBack: ReadonlyMap<number, ReadBack>,
  runPrefix: string,
  timeoutMs: number,
): Promise<{ deleted: number; failed: string[] }> {
  const ids = [...readBack].filter(([, r]) => r.kind === 'found' && r.task.startsWith(runPrefix)).map(([id]) => id);
  const known = [...readBack.keys()];
  if (known.length > 0) {
    const unacknowledged = await listRunRows(api, runPrefix, Math.min(...known), timeoutMs);
    ids.push(...unacknowledged.filter((id) => !readBack.has(id)));
  }
  let deleted = 0;
  const failed: string[] = [];
  const worker = async () => {
    for (let id = ids.shift(); id !== undefined; id = ids.shift()) {
      const answer = await apiCall(api, 'DELETE', '', { id: String(id) }, timeoutMs);
      if (answer.status === 200 || answer.status === 404) deleted += answer.status === 200 ? 1 : 0;
      else failed.push(`${id}: ${answer.error ?? `HTTP ${answer.status}`}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return { deleted, failed };
}

/** How many list pages (of 100) the clean-up reads at most: a game day writes thousands of rows, not more. */
const MAX_LIST_PAGES = 100;

/** Ids of the rows whose task carries `runPrefix`, from the newest down to `lowestId` (GET /v1, newest first). */
async function listRunRows(api: ApiTarget, runPrefix: string, lowestId: number, timeoutMs: number): Promise<number[]> {
  const found: number[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const query = `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    let items: { id: number; task: string }[];
    try {
      const res = await fetch(`${api.apiUrl}${query}`, { headers: { authorization: api.token }, signal: AbortSignal.timeout(timeoutMs) });
      if (res.status !== 200) return found;
      const body = (await res.json()) as { response?: { items?: { id: number; task: string }[]; nextCursor?: string | null } };
      items = body.response?.items ?? [];
      cursor = body.response?.nextCursor ?? null;
    } catch {
      return found; // best effort: what was found so far still goes
    }
    for (const item of items) if (item.id >= lowestId && item.task.startsWith(runPrefix)) found.push(item.id);
    if (cursor === null || items.length === 0 || items[items.length - 1].id <= lowestId) return found;
  }
  return found;
}
