// Classifying acknowledged writes against what their ids read back as: kept, lost (row gone, or the id
// handed out again after an unplanned failover), changed (an older version, or content nobody wrote),
// unverified, and an unanswered update that committed after all.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AckedWrite, AmbiguousWrite } from '../../util/gameday/recorder';
import type { ApiTarget } from '../../util/gameday/traffic';
import { classify, deleteRunRows, type ReadBack } from '../../util/gameday/verifier';

let clock = 0;
function write(id: number, op: 'create' | 'update', task: string, region = 'us-east-1', client = 'w1'): AckedWrite {
  clock += 10;
  return { id, op, task, status: op === 'create' ? 'wip' : 'done', client, sentAt: clock - 5, ackAt: clock, region, phase: 'traffic' };
}
const found = (w: Pick<AckedWrite, 'task' | 'status'>): ReadBack => ({ kind: 'found', task: w.task, status: w.status });

test('every write kept: creates and the last update of a row', () => {
  const a = write(1, 'create', 'a');
  const a2 = write(1, 'update', 'a2');
  const b = write(2, 'create', 'b');
  const v = classify(
    [a, a2, b],
    [],
    new Map([
      [1, found(a2)],
      [2, found(b)],
    ]),
  );
  expect(v).toMatchObject({ checked: 3, kept: 3, lost: [], changed: [], unverified: [], unacknowledgedApplied: 0 });
});

test('a missing row: its create and every acknowledged update on it are lost', () => {
  const a = write(1, 'create', 'a');
  const a2 = write(1, 'update', 'a2');
  const v = classify([a, a2], [], new Map([[1, { kind: 'missing' }]]));
  expect(v.lost.map((f) => f.write)).toEqual([a, a2]);
  expect(v.lost[0].reason).toMatch(/no row with id 1/);
  expect(v.kept).toBe(0);
});

test('an id handed out twice: the earlier write was lost (its row went with the old primary), the later one is kept', () => {
  const onPri = write(105, 'create', 'acked by pri, never replicated');
  const onSecd = write(105, 'create', 'acked by secd after the failover', 'us-east-2', 'w2');
  const v = classify([onSecd, onPri], [], new Map([[105, found(onSecd)]]));
  expect(v.lost.map((f) => f.write)).toEqual([onPri]);
  expect(v.lost[0].reason).toMatch(/given to a later write/);
  expect(v.kept).toBe(1);
});

test('a row showing an older version: the updates after it are changed', () => {
  const a = write(1, 'create', 'a');
  const a2 = write(1, 'update', 'a2');
  const a3 = write(1, 'update', 'a3');
  const v = classify([a, a2, a3], [], new Map([[1, found(a2)]]));
  expect(v.kept).toBe(2);
  expect(v.changed).toHaveLength(1);
  expect(v.changed[0]).toMatchObject({ write: a3, found: { task: 'a2', status: 'done' } });
  expect(v.changed[0].reason).toMatch(/older version/);
});

test('content no acknowledged write produced: the whole chain is changed', () => {
  const a = write(1, 'create', 'a');
  const v = classify([a], [], new Map([[1, { kind: 'found', task: 'someone else', status: 'x' }]]));
  expect(v.changed.map((f) => f.write)).toEqual([a]);
  expect(v.changed[0].reason).toMatch(/no acknowledged write of this game day produced/);
});

test('an update whose answer never came but that committed is not a loss; one from before the last ack would be', () => {
  const a = write(1, 'create', 'a');
  const late: AmbiguousWrite = {
    id: 1,
    task: 'timed out',
    status: 'done',
    client: 'w1',
    sentAt: clock + 5,
    doneAt: clock + 2005,
    error: 'timeout',
  };
  const v = classify([a], [late], new Map([[1, found(late)]]));
  expect(v).toMatchObject({ kept: 1, changed: [], unacknowledgedApplied: 1 });

  const b = write(2, 'create', 'b');
  const early: AmbiguousWrite = {
    id: 2,
    task: 'old attempt',
    status: 'done',
    client: 'w1',
    sentAt: b.ackAt - 100,
    doneAt: b.ackAt - 50,
    error: '503',
  };
  const b2 = write(2, 'update', 'b2');
  const w = classify([b, b2], [early], new Map([[2, found(early)]]));
  expect(w.changed.map((f) => f.write)).toEqual([b, b2]);
  expect(w.unacknowledgedApplied).toBe(0);
});

test('ids that could not be read back are unverified, not lost', () => {
  const a = write(1, 'create', 'a');
  const b = write(2, 'create', 'b');
  const v = classify([a, b], [], new Map([[1, { kind: 'unreadable', error: 'timeout' }]]));
  expect(v.unverified.map((f) => f.write)).toEqual([a, b]);
  expect(v.unverified[1].reason).toMatch(/not read back/);
  expect(v.lost).toEqual([]);
});

describe('deleteRunRows', () => {
  // A tiny ToDo API on loopback: GET lists newest first in pages, DELETE removes by id.
  let rows: { id: number; task: string }[];
  let server: http.Server;
  let api: ApiTarget;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET') {
        const limit = Number(url.searchParams.get('limit'));
        const below = Number(url.searchParams.get('cursor') ?? Infinity);
        const page = rows.filter((r) => r.id < below).sort((a, b) => b.id - a.id);
        const items = page.slice(0, limit).map((r) => ({ ...r, status: 'wip' }));
        const nextCursor = page.length > limit ? String(items[items.length - 1].id) : null;
        res.end(JSON.stringify({ status: 'ok', response: { items, nextCursor } }));
        return;
      }
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const id = Number((JSON.parse(body) as { id: string }).id);
        const before = rows.length;
        rows = rows.filter((r) => r.id !== id);
        res.statusCode = rows.length < before ? 200 : 404;
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = { apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, token: 't' };
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('also deletes a run row whose answer was lost, and leaves other clients and older rows alone', async () => {
    rows = [
      { id: 5, task: 'gd-run1 older than the run' },
      { id: 100, task: 'someone else' },
      ...Array.from({ length: 250 }, (_, i) => ({ id: 101 + i, task: `gd-run1 w${i}` })),
      { id: 400, task: 'someone else, later' },
    ];
    // Ids 101..350 were written; 300 never got its answer, so the game day does not know it.
    const readBack = new Map<number, ReadBack>(
      rows.filter((r) => r.id > 100 && r.id <= 350 && r.id !== 300).map((r) => [r.id, { kind: 'found', task: r.task, status: 'wip' }]),
    );
    const result = await deleteRunRows(api, readBack, 'gd-run1', 2000);
    expect(result).toEqual({ deleted: 250, failed: [] });
    expect(rows.map((r) => r.id)).toEqual([5, 100, 400]);
  });
});
