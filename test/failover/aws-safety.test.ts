// Issue 11's scenarios on the simulated AWS (aws-world/, its spec aws-world.md): reruns finish the run
// they follow, a healthy primary is not failed over by accident, cancelled operations stop the run,
// promotion does not wait on the global Status, lag and engine versions as AWS documents them, traffic
// checked by asking the URLs, the lost writes' snapshot kept, and errors told apart.
import { FAILOVER_RUN_PARAMETER, ssmParameterName } from '#names';
import { failoverIamActionList } from '#failover/aws/iam-actions';
import type { FailoverReport } from '#failover/report';
import { runFailover, type RunOptions } from '#failover/run';
import { API_DOMAIN, AwsWorld, REGIONS } from './aws-world';

let world: AwsWorld;

beforeEach(() => {
  world = new AwsWorld();
});
afterEach(() => {
  // Every action these scenarios send is one the build role gets (aws-driver.test.ts checks the list is exact).
  expect([...new Set(world.sent.map((c) => `${c.service}:${c.name}`))].filter((a) => !failoverIamActionList().includes(a))).toEqual([]);
  world.restore();
});

async function run(options: Partial<RunOptions> = {}): Promise<{ report: FailoverReport; output: string }> {
  const lines: string[] = [];
  const report = await runFailover(world.driver(), {
    mode: 'switchover',
    dryRun: false,
    yes: true,
    force: false,
    wait: true,
    traffic: 'kvs',
    confirm: () => Promise.reject(new Error('confirm must not be asked with --yes')),
    print: (line) => lines.push(line),
    clock: world.clock,
    ...options,
  });
  return { report, output: lines.join('\n') };
}

const record = (region: string) => JSON.parse(world.parameters[region][FAILOVER_RUN_PARAMETER]) as Record<string, unknown>;

describe('1. a rerun finishes the run it follows, never flips back', () => {
  test('stopped in the CloudFront wait: the same command without --to finishes the move to us-east-2', async () => {
    world.crashOnCall('GetDistribution', 2); // discovery's read is the first, the wait for Deployed the second
    const first = await run({ traffic: 'origin-swap' });
    expect(first.report.outcome).toBe('failed');
    expect(world.edgeOrigin()).toBe(API_DOMAIN.secd); // writer and traffic both moved: nothing disagrees
    expect(record(REGIONS.pri)).toMatchObject({ state: 'stopped', mode: 'switchover', to: 'secd', lastStep: 'proxy' });
    expect(record(REGIONS.secd)).toEqual(record(REGIONS.pri));

    const second = await run({ traffic: 'origin-swap' });
    // Everything was in place but the wait and the checks: finished without changing anything more.
    expect(second.report).toMatchObject({ outcome: 'no-op', to: { region: 'us-east-2' } });
    expect(second.report.direction).toMatch(/^finishing the switchover to us-east-2 started .*, which stopped after proxy/);
    expect(world.commands('SwitchoverGlobalCluster')).toHaveLength(1);
    expect(world.isWriterNow('secd')).toBe(true);
    expect(record(REGIONS.secd)).toMatchObject({ state: 'completed', lastCompleted: { to: 'secd' } });
  });

  test('with no completed run on record, a failback without --to is refused (exit 2); --to runs it', async () => {
    world.writer = 'secd';
    world.apiOrigin().DomainName = API_DOMAIN.secd;
    const refused = await run();
    expect(refused.report.outcome).toBe('refused');
    expect(refused.report.error).toMatch(/no completed run on record moved it there.*pass --to us-east-1 to fail back/);
    expect(world.mutations()).toEqual([]);

    expect((await run({ to: 'us-east-1' })).report.outcome).toBe('completed');
    expect(world.isWriterNow('pri')).toBe(true);
  });

  test("either region's copy is enough, and the newest copy wins", async () => {
    world.crashOn.add('PutKey');
    expect((await run()).report.outcome).toBe('failed');
    // pri's copy is older: it still says a run completed long ago; secd's says the switchover stopped.
    world.parameters[REGIONS.pri][FAILOVER_RUN_PARAMETER] = JSON.stringify({
      ...record(REGIONS.pri),
      state: 'completed',
      to: 'pri',
      from: 'secd',
      updatedAt: '2025-06-01T00:00:00.000Z',
    });
    const resumed = await run();
    expect(resumed.report.to?.region).toBe('us-east-2');
    expect(resumed.report.direction).toMatch(/^finishing the switchover/);
  });

  test('a refused rerun keeps the unfinished intent; a refusal after a completed run still allows the failback', async () => {
    world.crashOn.add('PutKey');
    await run();
    delete world.apiHosts[API_DOMAIN.secd]; // us-east-2's API does not answer: the resume is refused
    const refused = await run();
    expect(refused.report.outcome).toBe('refused');
    expect(record(REGIONS.secd)).toMatchObject({ state: 'stopped', to: 'secd' });
    world.apiHosts[API_DOMAIN.secd] = 'secd';
    expect((await run()).report).toMatchObject({ outcome: 'completed', to: { region: 'us-east-2' } });

    // Completed to secd; a refused failback is recorded as refused and carries the completed run along.
    world.lagMs = 60_000;
    world.rpoLagMs = 60_000;
    expect((await run()).report.outcome).toBe('refused');
    expect(record(REGIONS.pri)).toMatchObject({ state: 'refused', to: 'pri', lastCompleted: { to: 'secd' } });
    world.lagMs = 100;
    world.rpoLagMs = 100;
    expect((await run()).report).toMatchObject({ outcome: 'completed', to: { region: 'us-east-1' } });
  });

  test('an unreadable record is ignored and said so; the run goes on from what it finds', async () => {
    world.parameters[REGIONS.secd][FAILOVER_RUN_PARAMETER] = '{"hand":"edited"}';
    const { report, output } = await run({ dryRun: true });
    expect(report.outcome).toBe('dry-run');
    expect(output).not.toContain('last run on record');
    expect(report.steps[0].detail).toMatch(/writer us-east-1/);
  });
});

describe('2. never two writers: a failover against a healthy primary', () => {
  test('is refused without --force, pointing at switchover; with --force it runs and Aurora rebuilds the old primary', async () => {
    const refused = await run({ mode: 'failover' });
    expect(refused.report.outcome).toBe('refused');
    expect(refused.report.error).toMatch(
      /old primary is down: us-east-1 answered and todomgmt-infra-pri-db-cluster is healthy .*Use --mode switchover/,
    );
    expect(world.mutations()).toEqual([]);

    // The kvs traffic step takes seconds: let Aurora's snapshot of the rebuilt primary be ready within the run.
    world.durations.snapshot = 10_000;
    const forced = await run({ mode: 'failover', force: true });
    expect(forced.report.outcome).toBe('completed');
    expect(forced.report.preflight.find((c) => c.name === 'old primary is down')).toMatchObject({ forced: true });
    // It answered, so the record went to both regions, and the snapshot Aurora took when it rebuilt it is kept.
    expect(forced.report.runRecord?.writes.every((w) => w.saved)).toBe(true);
    expect(forced.report.lostWrites).toMatchObject({ from: 'pri', region: 'us-east-1', kept: expect.stringMatching(/-lost-writes-/) });
    expect(world.commands('CopyDBClusterSnapshot')).toHaveLength(1);
  });
});

describe('3 and 4. promotion', () => {
  test('FailoverState cancelling is reported and stops the run, never waited on as a resume', async () => {
    world.pending = { kind: 'cancelling', cancelled: 'switching-over', from: 'pri', to: 'secd', doneAt: world.clock.now() + 60_000 };
    const { report } = await run({ to: 'us-east-2' });
    expect(report.outcome).toBe('failed');
    expect(report.error).toMatch(
      /Aurora is cancelling the switchover or failover from us-east-1 to us-east-2 \(FailoverState cancelling\)/,
    );
    expect(world.commands('SwitchoverGlobalCluster')).toEqual([]);
    expect(report.totalSeconds).toBeLessThan(60);
  });

  test('done when the target writes, is available and FailoverState is empty, whatever the global Status says', async () => {
    world.down.add(REGIONS.pri);
    const { report } = await run({ mode: 'failover' });
    expect(report.outcome).toBe('completed');
    expect(world.globalStatus()).toBe('modifying'); // the old primary is not back: Aurora has not rebuilt it
    expect(report.steps.find((s) => s.name === 'promote (failover)')?.seconds).toBeLessThan(120);
  });
});

describe('5, 6 and 7. preflight as AWS documents it', () => {
  test('lag: AuroraGlobalDBReplicationLag before Aurora MySQL 3.04; no datapoint needs --force', async () => {
    world.engineVersion = { pri: '8.0.mysql_aurora.3.03.1', secd: '8.0.mysql_aurora.3.03.1' };
    expect((await run({ dryRun: true })).report).toMatchObject({
      replicationLagSeconds: 0.12,
      replicationLagSource: 'AuroraGlobalDBReplicationLag',
    });

    world.engineVersion = { pri: '8.0.mysql_aurora.3.10.0', secd: '8.0.mysql_aurora.3.10.0' };
    world.rpoLagMs = undefined;
    world.lagMs = undefined;
    const { report } = await run();
    expect(report.outcome).toBe('refused');
    expect(report.error).toMatch(/replication lag: no recent AuroraGlobalDBRPOLag datapoint: the lag is unknown.*--force/);
    expect((await run({ force: true })).report.outcome).toBe('completed');
  });

  test('engine versions: a patch difference refuses an Aurora MySQL switchover; a failover across minors hints detach', async () => {
    world.engineVersion.secd = '8.0.mysql_aurora.3.10.1';
    const patch = await run();
    expect(patch.report.error).toMatch(/patch 0 vs 1: Aurora MySQL needs identical patch levels/);

    world.down.add(REGIONS.pri);
    world.engineVersion.secd = '8.0.mysql_aurora.3.08.2';
    const failover = await run({ mode: 'failover' });
    expect(failover.report.outcome).toBe('refused');
    // The old primary's version comes from the global cluster when its region cannot be read.
    expect(failover.report.error).toMatch(/us-east-1 8\.0\.mysql_aurora\.3\.10\.0 \(the global database\), us-east-2 .*use --mode detach/);
    const forced = await run({ mode: 'failover', force: true });
    expect(forced.report.error).toMatch(/FailoverGlobalCluster in us-east-2 failed: InvalidGlobalClusterStateFault/);
  });
});

describe('8. traffic is verified by asking the URLs', () => {
  test('a stale api-domain parameter is refused before anything moves, and caught after the traffic step when forced', async () => {
    world.parameters[REGIONS.secd][ssmParameterName('secd', 'api-domain')] = 'stale0000.execute-api.us-east-2.amazonaws.com';
    const refused = await run();
    expect(refused.report.outcome).toBe('refused');
    expect(refused.report.error).toMatch(/target API answers: .*no answer \(ENOTFOUND\).*is the api-domain parameter of us-east-2 stale/);
    expect(world.mutations()).toEqual([]);

    const forced = await run({ force: true });
    expect(forced.report.outcome).toBe('failed');
    expect(forced.report.steps.at(-1)).toMatchObject({ name: 'verify' });
    expect(forced.report.error).toMatch(
      /verification failed: the us-east-2 API does not answer .*the edge does not answer from us-east-2 yet: .*HTTP 502/,
    );
  });

  test('--no-wait: an edge still answering from the old region is a note, not a failure', async () => {
    const edge = world.httpGet.bind(world);
    let calls = 0;
    world.httpGet = (url) =>
      url.includes('cloudfront.net') && ++calls === 1
        ? Promise.resolve({ status: 401, headers: { 'x-todomgmt-region': 'us-east-1' } })
        : edge(url);
    const { report } = await run({ wait: false, traffic: 'origin-swap' });
    expect(report.outcome).toBe('completed');
    expect(report.notes.join('\n')).toMatch(/the edge does not answer from us-east-2 yet: .*us-east-1 answered .*--no-wait/);
  });

  test('kvs: no deployment, so the edge is asked again (bounded, about a minute) until it answers from the target', async () => {
    const edge = world.httpGet.bind(world);
    let calls = 0;
    world.httpGet = (url) =>
      url.includes('cloudfront.net') && ++calls <= 3
        ? Promise.resolve({ status: 401, headers: { 'x-todomgmt-region': 'us-east-1' } })
        : edge(url);
    const { report } = await run({ wait: false });
    expect(report.outcome).toBe('completed');
    expect(report.probes?.find((p) => p.url.includes('cloudfront.net'))).toMatchObject({ region: 'us-east-2', attempts: 4 });

    // An edge that never picks the key up fails the verification after six attempts (2 + 4 + ... + 32 s apart).
    let edgeGets = 0;
    world.httpGet = (url) =>
      url.includes('cloudfront.net') && ++edgeGets > 0
        ? Promise.resolve({ status: 401, headers: { 'x-todomgmt-region': 'us-east-2' } })
        : edge(url);
    const stuck = await run({ to: 'us-east-1', wait: false });
    expect(stuck.report.outcome).toBe('failed');
    expect(stuck.report.error).toMatch(/the edge does not answer from us-east-1 yet: .*us-east-2 answered/);
    expect(edgeGets).toBe(6);
  });
});

describe('9. after a data-loss failover the old primary’s snapshot is kept', () => {
  test('not reachable: said when to rerun; once it is back, the rerun copies the snapshot to a manual one, once', async () => {
    world.down.add(REGIONS.pri);
    const first = await run({ mode: 'failover' });
    expect(first.report.notes.join('\n')).toMatch(/Run the same command again then .* copies that snapshot to a manual one/);
    expect(record(REGIONS.secd)).toMatchObject({ state: 'completed', lostWrites: { from: 'pri' } });

    world.rejoin('pri');
    await world.clock.sleep(world.durations.snapshot);
    const second = await run({ mode: 'failover' });
    expect(second.report.outcome).toBe('no-op');
    const [copy] = world.commands('CopyDBClusterSnapshot');
    expect(copy.region).toBe('us-east-1');
    const kept = String(copy.input.TargetDBClusterSnapshotIdentifier);
    expect(kept).toMatch(/^todomgmt-infra-pri-db-cluster-lost-writes-\d{8}-\d{4}$/);
    expect(second.report.lostWrites?.kept).toBe(kept);
    expect(second.output).toContain(`Note: The writes us-east-1 held beyond the new primary are in the manual snapshot ${kept}`);
    expect(record(REGIONS.secd)).toMatchObject({ lostWrites: { from: 'pri', kept } });

    const third = await run({ mode: 'failover' });
    expect(third.report.lostWrites).toBeUndefined();
    expect(world.commands('CopyDBClusterSnapshot')).toHaveLength(1);
  });

  test('a snapshot Aurora is still taking is copied by a later run', async () => {
    world.durations.snapshot = 3600_000;
    const forced = await run({ mode: 'failover', force: true });
    expect(forced.report.outcome).toBe('completed');
    expect(forced.report.notes.join('\n')).toMatch(
      /rds:unplanned-global-failover-\S+ \(us-east-1\) is still creating: run the same command again later/,
    );
    expect(world.commands('CopyDBClusterSnapshot')).toEqual([]);
    await world.clock.sleep(3600_000);
    expect((await run({ mode: 'failover' })).report.lostWrites?.kept).toMatch(/-lost-writes-/);
  });
});

describe('10. clear errors', () => {
  test('HTTP 5xx is "answered with an error", retried a bounded number of times, never "did not answer"', async () => {
    world.serverErrors.set('GetParametersByPath', 3);
    expect((await run()).report.outcome).toBe('completed');

    const fresh = new AwsWorld();
    try {
      fresh.serverErrors.set('GetParametersByPath', 100);
      world.restore();
      world = fresh;
      const { report } = await run();
      expect(report.outcome).toBe('failed');
      expect(report.error).toMatch(/ssm:GetParametersByPath in us-east-\d answered with an error \(HTTP 503\) 6 time\(s\)/);
      expect(report.error).not.toMatch(/did not answer|--mode failover/);
    } finally {
      world = fresh;
    }
  });
});
