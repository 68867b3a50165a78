// The RPO/RTO arithmetic on made-up timelines: no failures at all, an outage in the middle, failures
// from the very start, never recovered, concurrent clients, and the targets each scenario is held to.
import type { FailoverReport } from '#failover/report';
import type { AckedWrite, RequestRecord } from '../../util/gameday/recorder';
import { buildReport, type ReportInput } from '../../util/gameday/report';
import { binRequests, firstSuccessIn, outageWindow, percentile } from '../../util/gameday/timeline';
import type { Verification } from '../../util/gameday/verifier';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

/** One request every `every` ms from `from` to `to` (ms after T0), ok unless `failing(t)`; 5 ms latency. */
function requests(
  kind: 'read' | 'write',
  from: number,
  to: number,
  every: number,
  region: (t: number) => string,
  failing: (t: number) => boolean = () => false,
) {
  const out: RequestRecord[] = [];
  for (let t = from; t < to; t += every) {
    const ok = !failing(t);
    out.push({
      kind,
      client: 'c1',
      sentAt: T0 + t,
      doneAt: T0 + t + 5,
      ok,
      region: ok ? region(t) : 'no answer',
      ...(ok ? {} : { error: '502' }),
    });
  }
  return out;
}

const clean: Verification = { checked: 0, kept: 0, lost: [], changed: [], unverified: [], unacknowledgedApplied: 0 };

describe('outageWindow', () => {
  test('no failures: zero, recovered', () => {
    expect(
      outageWindow(
        requests('write', 0, 1000, 100, () => 'a'),
        T0,
        T0 + 1000,
      ),
    ).toEqual({
      failures: 0,
      seconds: 0,
      recovered: true,
      failedFromStart: false,
    });
  });

  test('an outage in the middle: last success before the first failure → first success after the last', () => {
    // Successes done at 105, 205, ..., failures sent 300..600, next success sent 700, done 705.
    const w = outageWindow(
      requests(
        'write',
        0,
        1000,
        100,
        () => 'a',
        (t) => t >= 300 && t <= 600,
      ),
      T0,
      T0 + 1000,
    );
    expect(w).toMatchObject({ failures: 4, fromMs: T0 + 205, toMs: T0 + 705, seconds: 0.5, recovered: true, failedFromStart: false });
  });

  test('failing from the start: the window begins at the traffic start and says so', () => {
    const w = outageWindow(
      requests(
        'write',
        0,
        1000,
        100,
        () => 'a',
        (t) => t < 300,
      ),
      T0,
      T0 + 1000,
    );
    expect(w).toMatchObject({ failures: 3, fromMs: T0, toMs: T0 + 305, seconds: 0.305, failedFromStart: true, recovered: true });
  });

  test('never recovered: counted to the end of the traffic and flagged', () => {
    const w = outageWindow(
      requests(
        'write',
        0,
        1000,
        100,
        () => 'a',
        (t) => t >= 800,
      ),
      T0,
      T0 + 1000,
    );
    expect(w).toMatchObject({ failures: 2, fromMs: T0 + 705, toMs: undefined, seconds: 0.295, recovered: false });
  });

  test('nothing ever succeeded', () => {
    const w = outageWindow(
      requests(
        'write',
        0,
        500,
        100,
        () => 'a',
        () => true,
      ),
      T0,
      T0 + 2000,
    );
    expect(w).toMatchObject({ failures: 5, seconds: 2, recovered: false, failedFromStart: true });
  });

  test('concurrent clients: a success inside the outage does not end it; a slow failure is placed where it was sent', () => {
    const rs: RequestRecord[] = [
      { kind: 'write', client: 'a', sentAt: T0 + 0, doneAt: T0 + 10, ok: true, region: 'a' },
      { kind: 'write', client: 'a', sentAt: T0 + 100, doneAt: T0 + 2100, ok: false, region: 'no answer', error: 'timeout' },
      { kind: 'write', client: 'b', sentAt: T0 + 150, doneAt: T0 + 160, ok: true, region: 'a' },
      // Sent before the last failure, answered after it: it does not show the service back.
      { kind: 'write', client: 'c', sentAt: T0 + 390, doneAt: T0 + 450, ok: true, region: 'a' },
      { kind: 'write', client: 'b', sentAt: T0 + 400, doneAt: T0 + 410, ok: false, region: 'a', error: '503' },
      { kind: 'write', client: 'b', sentAt: T0 + 500, doneAt: T0 + 520, ok: true, region: 'b' },
    ];
    expect(outageWindow(rs, T0, T0 + 3000)).toMatchObject({ failures: 2, fromMs: T0 + 10, toMs: T0 + 520, seconds: 0.51 });
  });
});

test('percentile: nearest rank, undefined without values', () => {
  expect(percentile([], 50)).toBeUndefined();
  expect(percentile([5], 99)).toBe(5);
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  expect(percentile(hundred, 50)).toBe(50);
  expect(percentile(hundred, 99)).toBe(99);
  expect(percentile(hundred, 100)).toBe(100);
});

test('binRequests: per 100 ms by send time, per region and outcome', () => {
  const rs = [
    ...requests('read', 0, 200, 25, () => 'us-east-1'),
    ...requests(
      'write',
      200,
      300,
      50,
      () => 'us-east-1',
      () => true,
    ),
    ...requests('read', 300, 400, 50, () => 'us-east-2'),
  ];
  expect(binRequests(rs, T0)).toEqual([
    { t: 0, region: 'us-east-1', outcome: 'ok', count: 4 },
    { t: 0.1, region: 'us-east-1', outcome: 'ok', count: 4 },
    { t: 0.2, region: 'no answer', outcome: 'failed', count: 2 },
    { t: 0.3, region: 'us-east-2', outcome: 'ok', count: 2 },
  ]);
});

test('firstSuccessIn: the first success answered by that region after the moment', () => {
  const rs = [...requests('write', 0, 500, 100, () => 'a'), ...requests('write', 500, 1000, 100, () => 'b')];
  expect(firstSuccessIn(rs, 'b', T0)).toBe(T0 + 505);
  expect(firstSuccessIn(rs, 'a', T0 + 450)).toBeUndefined();
  expect(firstSuccessIn(rs, 'b', T0, 'read')).toBeUndefined();
});

function failoverReport(startMs: number, to = 'us-east-2'): FailoverReport {
  return {
    tool: 'todomgmt-failover',
    driver: 'local',
    mode: 'failover',
    dryRun: false,
    from: { role: 'pri', region: 'us-east-1' },
    to: { role: 'secd', region: to },
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(startMs + 300).toISOString(),
    totalSeconds: 0.3,
    outcome: 'completed',
    preflight: [],
    steps: [{ name: 'promote (failover)', startedAt: new Date(startMs).toISOString(), seconds: 0.2 }],
    alreadyInPlace: [],
    notes: [],
  };
}

const ack = (id: number, ackAt: number, region: string): AckedWrite => ({
  id,
  op: 'create',
  client: 'w1',
  task: `t${id}`,
  status: 'wip',
  sentAt: ackAt - 5,
  ackAt,
  region,
  phase: 'traffic',
});

function input(overrides: Partial<ReportInput>): ReportInput {
  // pri answers until 1 s, nothing until 1.5 s, then secd; the failover starts at 1.2 s.
  const region = (t: number) => (t < 1000 ? 'us-east-1' : 'us-east-2');
  const down = (t: number) => t >= 1000 && t < 1500;
  return {
    scenario: 'failover',
    target: { kind: 'local', edgeUrl: 'http://127.0.0.1:1' },
    trafficStartMs: T0,
    trafficEndMs: T0 + 3000,
    requestedDurationSeconds: 3,
    traffic: { writers: 1, readers: 1, ratePerClient: 10, timeoutMs: 2000 },
    requests: [...requests('write', 0, 3000, 100, region, down), ...requests('read', 50, 3000, 100, region, down)],
    acked: [],
    verification: clean,
    failover: failoverReport(T0 + 1200),
    markers: [{ at: T0 + 1200, label: 'promote', source: 'failover' }],
    lagAtKill: {
      sampledAt: new Date(T0 + 990).toISOString(),
      writerPosition: '0-1-10',
      replicaPosition: '0-1-9',
      transactionsBehind: 1,
      acknowledgedAfterSample: 0,
      writesInLag: 1,
    },
    ...overrides,
  };
}

describe('buildReport', () => {
  test('a failover: outages, RTO from the failover start to the first write in the new region, regions, markers', () => {
    const r = buildReport(input({}));
    expect(r).toMatchObject({
      scenario: 'failover',
      durationSeconds: 3,
      acknowledgedWrites: 0,
      lostWrites: 0,
      changedWrites: 0,
      writeErrorWindowSeconds: 0.6, // last success done 905 → first success done 1505
      readErrorWindowSeconds: 0.6, // 955 → 1555
      rtoSeconds: 0.305, // 1200 → write done 1505
      rto: { newRegion: 'us-east-2', toFirstWriteSeconds: 0.305, toFirstReadSeconds: 0.355 },
      regions: ['us-east-1', 'us-east-2'],
      markers: [{ t: 1.2, label: 'promote', source: 'failover' }],
      passed: true,
    });
    expect(r.byRegion['no answer']).toEqual({ ok: 0, failed: 10 });
    expect(r.latency).toEqual({ p50: 5, p99: 5 });
    expect(r.traffic).toMatchObject({ requests: 60, ok: 50, failed: 10, errors: { '502': 10 } });
    expect(r.targets.map((t) => [t.name, t.pass])).toEqual([
      ['the failover program completed', true],
      ['acknowledged writes lost or changed', true],
      ['writes succeed in the new region', true],
    ]);
  });

  test('a failover that lost more than the replication lag at the kill fails its target; the RPO window spans the losses', () => {
    const lost = [ack(7, T0 + 900, 'us-east-1'), ack(8, T0 + 950, 'us-east-1')];
    const verification: Verification = {
      ...clean,
      checked: 2,
      lost: lost.map((write) => ({ write, reason: 'no row with id' })),
    };
    const r = buildReport(input({ acked: lost, verification }));
    expect(r.lostWrites).toBe(2);
    expect(r.rpo.window).toEqual({ from: new Date(T0 + 900).toISOString(), to: new Date(T0 + 950).toISOString(), seconds: 0.05 });
    expect(r.rpo.lost.map((w) => w.id)).toEqual([7, 8]);
    expect(r.targets.find((t) => t.name === 'acknowledged writes lost or changed')).toMatchObject({ pass: false, actual: '2' });
    expect(r.passed).toBe(false);
  });

  test('never recovered: no RTO, and the failover target fails', () => {
    const region = () => 'us-east-1';
    const r = buildReport(input({ requests: requests('write', 0, 3000, 100, region, (t) => t >= 1000) }));
    expect(r.rtoSeconds).toBeNull();
    expect(r.outages.write).toMatchObject({ recovered: false, seconds: 2.095 });
    expect(r.targets.find((t) => t.name === 'writes succeed in the new region')?.pass).toBe(false);
  });

  test('a switchover: zero loss, write outage ≤ 1 s and no failed read are the targets', () => {
    const region = (t: number) => (t < 1000 ? 'us-east-1' : 'us-east-2');
    const writes = requests('write', 0, 3000, 100, region, (t) => t >= 1000 && t < 1300);
    const reads = requests('read', 50, 3000, 100, region);
    const r = buildReport(input({ scenario: 'switchover', requests: [...writes, ...reads], lagAtKill: undefined }));
    expect(r.targets.map((t) => [t.name, t.pass])).toEqual([
      ['the failover program completed', true],
      ['acknowledged writes lost or changed', true],
      ['write outage', true],
      ['read outage', true],
    ]);
    const slow = buildReport(
      input({ scenario: 'failback', requests: requests('write', 0, 3000, 100, region, (t) => t >= 1000 && t < 2500) }),
    );
    expect(slow.targets.find((t) => t.name === 'write outage')).toMatchObject({ pass: false, actual: '1.6 s' });
  });

  test('against a deployment: no targets; without a failover start the RTO is unknown and a note says how to get it', () => {
    const r = buildReport(
      input({ scenario: 'observe', target: { kind: 'remote', edgeUrl: 'https://d1.cloudfront.net' }, failover: undefined }),
    );
    expect(r.targets).toEqual([]);
    expect(r.passed).toBe(true);
    expect(r.rtoSeconds).toBeNull();
    expect(r.rto.newRegion).toBe('us-east-2');
    expect(r.notes.join(' ')).toMatch(/--pipeline/);
    const polled = buildReport(
      input({ scenario: 'observe', target: { kind: 'remote', edgeUrl: 'x' }, failover: undefined, failoverStartedAtMs: T0 + 1000 }),
    );
    expect(polled.rtoSeconds).toBe(0.505);
  });

  test('a failed action and unreadable writes are failed targets', () => {
    const write = ack(1, T0 + 100, 'us-east-1');
    const r = buildReport(
      input({
        failover: undefined,
        actionError: 'kill-region failed',
        verification: { ...clean, unverified: [{ write, reason: 'timeout' }] },
      }),
    );
    expect(r.actionError).toBe('kill-region failed');
    expect(r.unverifiedWrites).toBe(1);
    expect(r.targets.filter((t) => !t.pass).map((t) => t.name)).toEqual(
      expect.arrayContaining(['the failover ran', 'every acknowledged write read back']),
    );
  });
});
