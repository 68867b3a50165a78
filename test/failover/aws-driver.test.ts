// The AWS driver through the real orchestration, against a simulated two-region AWS (aws-world/, its spec aws-world.md).
// Every scenario of the failover issue, plus the least-privilege check: the IAM actions the driver
// really sends equal FAILOVER_IAM_ACTIONS.
import { EDGE_ORIGIN_KEY, FAILOVER_RUN_PARAMETER, clusterId, proxyName } from '#names';
import { failoverIamActionList } from '#failover/aws/iam-actions';
import { overridesFromEnv } from '#failover/aws/overrides';
import { runFailover, type RunOptions } from '#failover/run';
import type { FailoverReport } from '#failover/report';
import { API_DOMAIN, AwsWorld, KVS_ARN, REGIONS, USER_POOL_ID, clusterArn, initialDistributionConfig } from './aws-world';

const sentActions = new Set<string>();
const scenariosRun = new Set<string>();
let world: AwsWorld;

beforeEach(() => {
  world = new AwsWorld();
});
afterEach(() => {
  for (const c of world.sent) sentActions.add(`${c.service}:${c.name}`);
  scenariosRun.add(expect.getState().currentTestName ?? '');
  world.restore();
});

async function run(
  options: Partial<RunOptions> & { world?: AwsWorld; env?: Record<string, string> } = {},
): Promise<{ report: FailoverReport; output: string[] }> {
  const w = options.world ?? world;
  const output: string[] = [];
  const driver = w.driver(options.env ? overridesFromEnv(options.env) : undefined);
  const report = await runFailover(driver, {
    mode: 'switchover',
    dryRun: false,
    yes: true,
    force: false,
    wait: true,
    traffic: 'kvs',
    confirm: () => Promise.reject(new Error('confirm must not be asked with --yes')),
    print: (line) => output.push(line),
    clock: w.clock,
    ...options,
  });
  return { report, output };
}

const stepNames = (r: FailoverReport) => r.steps.map((s) => s.name);

describe('AWS driver scenarios', () => {
  test('planned switchover: happy path, called in the primary region, RPO 0', async () => {
    const { report, output } = await run({ mode: 'switchover' });

    expect(report.error).toBeUndefined();
    expect(report.outcome).toBe('completed');
    expect(report.from).toEqual({ role: 'pri', region: 'us-east-1' });
    expect(report.to).toEqual({ role: 'secd', region: 'us-east-2' });
    const [switchover] = world.commands('SwitchoverGlobalCluster');
    expect(switchover.region).toBe('us-east-1');
    expect(switchover.input).toEqual({
      GlobalClusterIdentifier: 'todomgmt-global-db-cluster',
      TargetDbClusterIdentifier: clusterArn('secd'),
    });
    expect(world.commands('FailoverGlobalCluster')).toHaveLength(0);
    expect(world.isWriterNow('secd')).toBe(true);
    expect(world.edgeOrigin()).toBe(API_DOMAIN.secd);
    expect(world.commands('RegisterDBProxyTargets')).toHaveLength(0);
    expect(stepNames(report)).toEqual([
      'discover',
      'measure replication lag',
      'ask the target API',
      'promote (switchover)',
      'proxy',
      'traffic',
      'tokens',
      'verify',
    ]);
    // Aurora MySQL 3.10 publishes AuroraGlobalDBRPOLag (150 ms in the world), read instead of the replication lag.
    expect(report).toMatchObject({ replicationLagSeconds: 0.15, replicationLagSource: 'AuroraGlobalDBRPOLag' });
    // Both URLs clients use answer from the target; the run record is completed in both regions.
    expect(report.probes?.map((p) => [new URL(p.url).host, p.region])).toEqual([
      [API_DOMAIN.secd, 'us-east-2'],
      ['d111111abcdef8.cloudfront.net', 'us-east-2'],
    ]);
    for (const region of [REGIONS.pri, REGIONS.secd]) {
      expect(JSON.parse(world.parameters[region][FAILOVER_RUN_PARAMETER])).toMatchObject({
        state: 'completed',
        to: 'secd',
        lastStep: 'verify',
      });
    }
    // The promotion waited (simulated 75 s); the traffic step is one KeyValueStore write, no deployment to wait for.
    expect(report.totalSeconds).toBeGreaterThanOrEqual(75);
    expect(report.steps.find((s) => s.name === 'traffic')?.seconds).toBeLessThan(1);
    expect(world.commands('PutKey').map((c) => [c.region, c.input])).toEqual([
      ['global', { KvsARN: KVS_ARN, Key: EDGE_ORIGIN_KEY, Value: API_DOMAIN.secd, IfMatch: 'KV1' }],
    ]);
    expect(world.commands('UpdateDistribution')).toEqual([]);
    expect(output.join('\n')).toMatch(/^\s+traffic\s+\d+(\.\d+)? s$/m);
    expect(report.steps.every((s) => s.endedAt !== undefined && s.seconds !== undefined)).toBe(true);
    expect(output.join('\n')).toMatch(/^\[\s+\d+\.\ds\] promote \(switchover\): SwitchoverGlobalCluster/m);
    expect(output.join('\n')).toContain('Timeline:');
  });

  test('unplanned failover with the primary region down asks that region once whether it is healthy, nothing else', async () => {
    world.down.add(REGIONS.pri);
    const { report, output } = await run({ mode: 'failover' });

    expect(report.outcome).toBe('completed');
    const [failover] = world.commands('FailoverGlobalCluster');
    expect(failover.region).toBe('us-east-2');
    expect(failover.input).toEqual({
      GlobalClusterIdentifier: 'todomgmt-global-db-cluster',
      TargetDbClusterIdentifier: clusterArn('secd'),
      AllowDataLoss: true,
    });
    // One health probe (no retries) of the old primary, never anything that waits on or changes it; no SSM or CloudWatch client there.
    expect(world.sent.filter((c) => c.service !== 'cloudfront' && c.region === REGIONS.pri).map((c) => c.name)).toEqual([
      'DescribeDBClusters',
    ]);
    expect(world.createdClients.filter((k) => k.endsWith(REGIONS.pri) && !k.startsWith('cloudfront'))).toEqual(['rds:us-east-1']);
    expect(report.preflight.find((c) => c.name === 'old primary is down')).toMatchObject({ ok: true, detail: /us-east-1 did not answer/ });
    // The run record could only go to the region that answers, and the report says so.
    expect(report.runRecord?.writes.map((w) => [w.role, w.saved])).toEqual([
      ['secd', true],
      ['pri', false],
    ]);
    expect(world.parameters[REGIONS.pri][FAILOVER_RUN_PARAMETER]).toBeUndefined();
    expect(world.edgeOrigin()).toBe(API_DOMAIN.secd);
    expect(output.join('\n')).toContain('UNPLANNED FAILOVER');
    expect(report.notes.join('\n')).toMatch(/re-adds it .* as a read-only secondary/);
    expect(report.notes.join('\n')).toContain('--mode switchover --to us-east-1');
  });

  test('detach removes the target from the global cluster by ARN and warns about the old writer', async () => {
    const { report } = await run({ mode: 'detach' });

    expect(report.outcome).toBe('completed');
    const [remove] = world.commands('RemoveFromGlobalCluster');
    expect(remove.region).toBe('us-east-2');
    expect(remove.input).toEqual({ GlobalClusterIdentifier: 'todomgmt-global-db-cluster', DbClusterIdentifier: clusterArn('secd') });
    expect(world.members.has('secd')).toBe(false);
    expect(world.edgeOrigin()).toBe(API_DOMAIN.secd);
    expect(report.notes.join('\n')).toMatch(/still a writer/);
    expect(world.sent.filter((c) => c.region === REGIONS.pri && c.service !== 'cloudfront')).toEqual([]);
  });

  test('failback: the same switchover command moves back, called in the new primary region', async () => {
    expect((await run({ mode: 'switchover' })).report.outcome).toBe('completed');
    world.sent.length = 0;

    const { report } = await run({ mode: 'switchover' });
    expect(report.outcome).toBe('completed');
    expect(report.to?.region).toBe('us-east-1');
    const [switchback] = world.commands('SwitchoverGlobalCluster');
    expect(switchback.region).toBe('us-east-2');
    expect(switchback.input.TargetDbClusterIdentifier).toBe(clusterArn('pri'));
    expect(world.edgeOrigin()).toBe(API_DOMAIN.pri);
  });

  test('failback after a data-loss failover: refused while Aurora rebuilds it, then a switchover; the snapshot kept', async () => {
    world.down.add(REGIONS.pri);
    expect((await run({ mode: 'failover' })).report.outcome).toBe('completed');
    world.rejoin('pri');
    world.sent.length = 0;

    const early = await run({ mode: 'switchover', to: 'us-east-1' });
    expect(early.report.outcome).toBe('refused');
    expect(early.report.error).toContain('target in sync: Aurora is still rebuilding us-east-1; retry when it is connected');
    expect(world.mutations()).toEqual([]);

    await world.clock.sleep(world.durations.resync);
    const { report } = await run({ mode: 'switchover', to: 'us-east-1' });
    expect(report.outcome).toBe('completed');
    expect(world.commands('SwitchoverGlobalCluster')[0].region).toBe('us-east-2');
    expect(world.isWriterNow('pri')).toBe(true);
    expect(world.edgeOrigin()).toBe(API_DOMAIN.pri);
    // The first run that reaches us-east-1 copies Aurora's snapshot of the old primary to a manual one and names it.
    const [copy] = world.commands('CopyDBClusterSnapshot');
    expect(copy).toMatchObject({
      region: 'us-east-1',
      input: { SourceDBClusterSnapshotIdentifier: expect.stringMatching(/^rds:unplanned-global-failover-/) },
    });
    const kept = String(copy.input.TargetDBClusterSnapshotIdentifier);
    expect(world.snapshots[REGIONS.pri].map((s) => [s.id, s.type])).toContainEqual([kept, 'manual']);
    expect(report.lostWrites).toMatchObject({ from: 'pri', region: 'us-east-1', kept });
    expect(report.notes.join('\n')).toContain(`manual snapshot ${kept}`);
  });

  test('already failed over: a second run changes nothing and says so', async () => {
    world.down.add(REGIONS.pri);
    expect((await run({ mode: 'failover' })).report.outcome).toBe('completed');
    world.sent.length = 0;

    const { report, output } = await run({ mode: 'failover' });
    expect(report.outcome).toBe('no-op');
    expect(world.mutations()).toEqual([]);
    expect(report.alreadyInPlace).toEqual(['promote (failover)', 'proxy', 'traffic', 'tokens']);
    expect(output.join('\n')).toContain('Nothing to do: us-east-2 was already the writer and serving traffic.');

    // The same holds for an explicit switchover to where things already are.
    world.rejoin('pri');
    const again = await run({ mode: 'switchover', to: 'us-east-2' });
    expect(again.report.outcome).toBe('no-op');
    expect(world.mutations()).toEqual([]);
  });

  test('resume after a crash between promote and CloudFront finishes the job without promoting twice', async () => {
    world.crashOn.add('GetDistributionConfig');
    const first = await run({ mode: 'switchover', traffic: 'origin-swap' });
    expect(first.report.outcome).toBe('failed');
    expect(first.report.steps.find((s) => s.name === 'traffic')?.error).toContain('simulated crash');
    expect(world.isWriterNow('secd')).toBe(true);
    expect(world.edgeOrigin()).toBe(API_DOMAIN.pri);
    expect(first.output.join('\n')).toContain('run the same command again to resume');

    // Same command, no --to: the run record says the switchover to us-east-2 stopped after proxy, so it finishes it.
    const second = await run({ mode: 'switchover', traffic: 'origin-swap' });
    expect(second.report.outcome).toBe('completed');
    expect(second.report.direction).toMatch(/^finishing the switchover to us-east-2 .* stopped after proxy/);
    expect(second.report.alreadyInPlace).toEqual(['promote (switchover)', 'proxy', 'tokens']);
    expect(world.commands('SwitchoverGlobalCluster')).toHaveLength(1);
    expect(world.edgeOrigin()).toBe(API_DOMAIN.secd);
  });

  test('resume while the switchover is still running waits for it instead of issuing another', async () => {
    // A first run issued the switchover and was killed while Aurora was still switching over.
    world.pending = { kind: 'switching-over', from: 'pri', to: 'secd', doneAt: world.clock.now() + 5 * 60_000 };

    const { report } = await run({ mode: 'switchover', to: 'us-east-2' });
    expect(report.outcome).toBe('completed');
    expect(world.commands('SwitchoverGlobalCluster')).toHaveLength(0);
    expect(report.steps.find((s) => s.name === 'promote (switchover)')?.detail).toMatch(/resumed: switching-over/);
  });

  test('ETag conflict: re-reads the config, keeps the other change, retries with the fresh ETag', async () => {
    world.etagConflicts = 2;
    const { report, output } = await run({ mode: 'switchover', traffic: 'origin-swap' });

    expect(report.outcome).toBe('completed');
    const updates = world.commands('UpdateDistribution');
    expect(updates.map((u) => u.input.IfMatch)).toEqual(['E1', 'E2', 'E3']);
    expect(world.distribution.Comment).toBe('ToDoMgmt API (edited by someone else) (edited by someone else)');
    expect(world.edgeOrigin()).toBe(API_DOMAIN.secd);
    expect(output.filter((l) => l.includes('changed since it was read'))).toHaveLength(2);
  });

  test('lag too high: refused before any change; --force overrides', async () => {
    world.rpoLagMs = 30_000;
    const refused = await run({ mode: 'switchover' });
    expect(refused.report.outcome).toBe('refused');
    expect(refused.report.error).toMatch(/replication lag: 30\.0 s AuroraGlobalDBRPOLag \(limit 5 s\).*--force overrides/);
    expect(world.mutations()).toEqual([]);

    const forced = await run({ mode: 'switchover', force: true });
    expect(forced.report.outcome).toBe('completed');
    expect(forced.report.preflight.find((c) => c.name === 'replication lag')).toMatchObject({ ok: true, forced: true });
    expect(forced.output.join('\n')).toMatch(/FORCED replication lag/);
  });

  test('engine versions differ: refused with what differs; --force lets Aurora decide, and its refusal is reported', async () => {
    world.engineVersion.secd = '8.0.mysql_aurora.3.08.2';
    const { report } = await run({ mode: 'switchover' });
    expect(report.outcome).toBe('refused');
    expect(report.error).toMatch(
      /engine versions match: us-east-1 8\.0\.mysql_aurora\.3\.10\.0, us-east-2 8\.0\.mysql_aurora\.3\.08\.2: major\.minor 3\.10 vs 3\.8/,
    );
    expect(world.mutations()).toEqual([]);

    const forced = await run({ mode: 'switchover', force: true });
    expect(forced.report.preflight.find((c) => c.name === 'engine versions match')).toMatchObject({ forced: true });
    expect(forced.report.outcome).toBe('failed');
    expect(forced.report.error).toMatch(
      /rds:SwitchoverGlobalCluster in us-east-1 failed: InvalidGlobalClusterStateFault: engine versions differ/,
    );
  });

  test('missing proxy target: registered, then waited for until AVAILABLE', async () => {
    world.proxyRegistered.secd = false;
    const { report } = await run({ mode: 'switchover' });

    expect(report.outcome).toBe('completed');
    const [register] = world.commands('RegisterDBProxyTargets');
    expect(register.region).toBe('us-east-2');
    expect(register.input).toEqual({
      DBProxyName: proxyName('secd'),
      TargetGroupName: 'default',
      DBClusterIdentifiers: [clusterId('secd')],
    });
    expect(report.steps.find((s) => s.name === 'proxy')).toMatchObject({
      alreadyInPlace: false,
      detail: expect.stringContaining('registered'),
    });
    expect(world.commands('DescribeDBProxyTargets').length).toBeGreaterThan(1);
  });

  test('CloudFront: only the API origin host changes, the whole rest of the config is untouched', async () => {
    const before = initialDistributionConfig();
    await run({ mode: 'switchover', traffic: 'origin-swap' });

    const expected = structuredClone(before);
    expected.Origins!.Items![0].DomainName = API_DOMAIN.secd;
    const [update] = world.commands('UpdateDistribution');
    expect(update.input.DistributionConfig).toEqual(expected);
    expect(world.distribution).toEqual(expected);
  });

  test('throttling is retried with backoff; persistent throttling fails clearly', async () => {
    world.throttle.set('DescribeGlobalClusters', 3);
    world.throttle.set('UpdateDistribution', 2);
    const { report } = await run({ mode: 'switchover', traffic: 'origin-swap' });
    expect(report.outcome).toBe('completed');
    expect(world.commands('UpdateDistribution')).toHaveLength(3);

    const stubborn = new AwsWorld();
    try {
      stubborn.throttle.set('GetParametersByPath', 100);
      const failed = await run({ world: stubborn, mode: 'switchover' });
      expect(failed.report.outcome).toBe('failed');
      expect(failed.report.error).toMatch(/ssm:GetParametersByPath in us-east-\d was still throttled after 6 attempts/);
    } finally {
      for (const c of stubborn.sent) sentActions.add(`${c.service}:${c.name}`);
      stubborn.restore();
    }
  });

  test('AccessDenied names the missing action', async () => {
    world.denied.add('rds:SwitchoverGlobalCluster');
    const { report } = await run({ mode: 'switchover' });
    expect(report.outcome).toBe('failed');
    expect(report.error).toMatch(/AccessDenied: the credentials in use may not call rds:SwitchoverGlobalCluster in us-east-1/);
    expect(report.error).toContain('FAILOVER_IAM_ACTIONS');
  });

  test("unknown ids: refused (the operator's to fix, nothing changed), naming the override or parameter", async () => {
    const { report } = await run({ mode: 'switchover', env: { TARGET_CLUSTER_ID: 'todomgmt-typo-cluster' } });
    expect(report.outcome).toBe('refused');
    expect(report.error).toMatch(/Unknown cluster id todomgmt-typo-cluster in us-east-2 \(secd, from env TARGET_CLUSTER_ID\)/);

    const cf = await run({ mode: 'switchover', env: { CLOUDFRONT_DISTRIBUTION_ID: 'ENOPE' } });
    expect(cf.report.error).toMatch(/Unknown CloudFront distribution ENOPE: fix CLOUDFRONT_DISTRIBUTION_ID/);
    expect(world.mutations()).toEqual([]);
  });

  test('the article env vars override discovery', async () => {
    world.parameters[REGIONS.secd] = {};
    world.parameters[REGIONS.pri] = {};
    const env = { CLOUDFRONT_DISTRIBUTION_ID: 'E2EXAMPLE123', CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME: API_DOMAIN.secd };
    // Without a kvs-arn parameter --traffic kvs is refused before anything changes, naming the way out.
    const refused = await run({ mode: 'switchover', env });
    expect(refused.report.outcome).toBe('refused');
    expect(refused.report.error).toMatch(/no KeyValueStore known .*set CLOUDFRONT_KVS_ARN, or use --traffic origin-swap/);
    expect(world.mutations()).toEqual([]);
    const { report } = await run({ mode: 'switchover', env: { ...env, CLOUDFRONT_KVS_ARN: KVS_ARN } });
    expect(report.outcome).toBe('completed');
    expect(world.kvs.get(EDGE_ORIGIN_KEY)).toBe(API_DOMAIN.secd);

    // The article's own way, in a world of its own: the origin swap.
    const article = new AwsWorld();
    try {
      article.parameters[REGIONS.secd] = {};
      article.parameters[REGIONS.pri] = {};
      const swapped = await run({ world: article, mode: 'switchover', traffic: 'origin-swap', env });
      expect(swapped.report.outcome).toBe('completed');
      expect(article.apiOrigin().DomainName).toBe(API_DOMAIN.secd);
    } finally {
      for (const c of article.sent) sentActions.add(`${c.service}:${c.name}`);
      article.restore();
    }
  });

  test('switchover with the primary region down is refused with the way out', async () => {
    world.down.add(REGIONS.pri);
    const { report } = await run({ mode: 'switchover', to: 'us-east-2' });
    expect(report.outcome).toBe('refused');
    expect(report.error).toContain('use --mode failover --to us-east-2');
    expect(world.mutations()).toEqual([]);
  });

  test('a promotion that never finishes times out with a resume hint', async () => {
    world.durations.switchover = 24 * 3600_000;
    const driver = world.driver(undefined, { promoteMs: 10 * 60_000 });
    const report = await runFailover(driver, {
      mode: 'switchover',
      dryRun: false,
      yes: true,
      force: false,
      wait: true,
      traffic: 'origin-swap',
      confirm: () => Promise.resolve(true),
      print: () => undefined,
      clock: world.clock,
    });
    expect(report.outcome).toBe('failed');
    expect(report.error).toMatch(
      /Timed out after 600 s waiting for todomgmt-infra-secd-db-cluster to become the available writer .*run the same command again/,
    );
  });

  test('--dry-run reads only', async () => {
    world.down.add(REGIONS.pri);
    const { report, output } = await run({ mode: 'failover', dryRun: true });
    expect(report.outcome).toBe('dry-run');
    expect(world.mutations()).toEqual([]);
    expect(world.commands('PutParameter')).toEqual([]);
    expect(output.join('\n')).toMatch(/FailoverGlobalCluster with AllowDataLoss, sent to the target region only/);
  });
});

describe('issue 12: traffic through the KeyValueStore, the origin-swap fallback, tokens from the replica', () => {
  const trafficStep = (r: FailoverReport) => r.steps.find((s) => s.name === 'traffic');
  const tokensStep = (r: FailoverReport) => r.steps.find((s) => s.name === 'tokens');

  test('kvs: a rerun finds the key in place and writes nothing', async () => {
    expect((await run({ mode: 'switchover' })).report.outcome).toBe('completed');
    const again = await run({ mode: 'switchover', to: 'us-east-2' });
    expect(again.report.outcome).toBe('no-op');
    expect(again.report.alreadyInPlace).toContain('traffic');
    expect(trafficStep(again.report)?.detail).toMatch(/already names .*f6g7h8i9j0/);
    expect(world.commands('PutKey')).toHaveLength(1);
  });

  test('kvs: another writer between read and write (ConflictException) → re-read, retry with the fresh ETag, bounded', async () => {
    world.kvsConflicts = 2;
    const { report, output } = await run({ mode: 'switchover' });
    expect(report.outcome).toBe('completed');
    expect(world.commands('PutKey').map((c) => c.input.IfMatch)).toEqual(['KV1', 'KV2', 'KV3']);
    expect(output.filter((l) => l.includes('KeyValueStore changed since it was read'))).toHaveLength(2);
    expect(world.kvs.get(EDGE_ORIGIN_KEY)).toBe(API_DOMAIN.secd);

    const busy = new AwsWorld();
    try {
      busy.kvsConflicts = 100;
      const failed = await run({ world: busy, mode: 'switchover' });
      expect(failed.report.outcome).toBe('failed');
      expect(failed.report.error).toMatch(/changed between read and write 5 times: someone else is writing it/);
    } finally {
      busy.restore();
    }
  });

  test('moving back to the primary writes its host, even when an earlier origin-swap left the configured origin on secd', async () => {
    world.apiOrigin().DomainName = API_DOMAIN.secd;
    world.kvs.set(EDGE_ORIGIN_KEY, API_DOMAIN.secd);
    world.writer = 'secd';
    const { report } = await run({ mode: 'switchover', to: 'us-east-1' });
    expect(report.outcome).toBe('completed');
    expect(world.kvs.get(EDGE_ORIGIN_KEY)).toBe(API_DOMAIN.pri);
    expect(world.commands('DeleteKey')).toEqual([]);
    expect(world.edgeOrigin()).toBe(API_DOMAIN.pri);
  });

  test('discovery: the effective origin is the key when present, else the configured origin; sources say which', async () => {
    const driver = world.driver();
    const absent = await driver.discover({ contact: ['pri', 'secd'] });
    expect(absent.traffic).toMatchObject({ domainName: API_DOMAIN.pri, decidedBy: 'configured-origin', originId: 'ToDoMgmtApiOrigin' });
    expect(absent.edgeKey).toEqual({ storeArn: KVS_ARN, readable: true, value: undefined });
    expect(absent.sources.join('\n')).toMatch(/edge key active-api-domain absent \(KeyValueStore data plane, global endpoint\)/);

    world.kvs.set(EDGE_ORIGIN_KEY, API_DOMAIN.secd);
    const present = await driver.discover({ contact: ['pri', 'secd'] });
    expect(present.traffic).toMatchObject({ domainName: API_DOMAIN.secd, decidedBy: 'kvs-key', deployed: true });
    expect(present.configuredOrigin?.domainName).toBe(API_DOMAIN.pri);
    expect(present.sources.join('\n')).toContain(`edge key active-api-domain=${API_DOMAIN.secd}`);
  });

  test("us-east-1 down with CloudFront's control plane: the key decides, and the kvs failover completes without it", async () => {
    world.down.add(REGIONS.pri);
    world.cloudfrontDown = true;
    world.kvs.set(EDGE_ORIGIN_KEY, API_DOMAIN.pri);
    const topology = await world.driver().discover({ contact: ['secd'] });
    expect(topology.traffic).toMatchObject({ domainName: API_DOMAIN.pri, decidedBy: 'kvs-key' });
    expect(topology.configuredOrigin).toBeUndefined();
    expect(topology.sources.join('\n')).toMatch(/control plane \(us-east-1\) did not answer.*\n?.*traffic origin from the edge key alone/s);

    const { report, output } = await run({ mode: 'failover' });
    expect(report.outcome).toBe('completed');
    expect(world.kvs.get(EDGE_ORIGIN_KEY)).toBe(API_DOMAIN.secd);
    expect(world.commands('UpdateDistribution')).toEqual([]);
    expect(report.probes?.find((p) => p.url.includes('cloudfront.net'))?.region).toBe('us-east-2');
    expect(output.join('\n')).toMatch(/3\. traffic .*\[CloudFront KeyValueStore data plane \(global endpoint/);
    expect(output.join('\n')).toMatch(/1\. promote .*\[RDS control plane, us-east-2\]/);

    // Without a key, the control plane's silence leaves the origin unknown: a forceable refusal, as before.
    const blind = new AwsWorld();
    try {
      blind.down.add(REGIONS.pri);
      blind.cloudfrontDown = true;
      const refused = await run({ world: blind, mode: 'failover' });
      expect(refused.report.outcome).toBe('refused');
      expect(refused.report.error).toMatch(/traffic origin readable/);
    } finally {
      blind.restore();
    }
  });

  test('origin-swap: a key naming another host is deleted, so the swap is what the edge serves', async () => {
    world.kvs.set(EDGE_ORIGIN_KEY, API_DOMAIN.pri);
    const { report } = await run({ mode: 'switchover', traffic: 'origin-swap' });
    expect(report.outcome).toBe('completed');
    expect(world.apiOrigin().DomainName).toBe(API_DOMAIN.secd);
    expect(world.commands('DeleteKey').map((c) => c.input)).toEqual([{ KvsARN: KVS_ARN, Key: EDGE_ORIGIN_KEY, IfMatch: 'KV1' }]);
    expect(world.kvs.has(EDGE_ORIGIN_KEY)).toBe(false);
    expect(trafficStep(report)?.detail).toMatch(/deleted the edge key active-api-domain .*which overrode the origin/);
    expect(world.edgeOrigin()).toBe(API_DOMAIN.secd);
  });

  test('origin-swap: a stale key that cannot be removed is a clear error', async () => {
    world.kvs.set(EDGE_ORIGIN_KEY, API_DOMAIN.pri);
    world.denied.add('cloudfront-keyvaluestore:DeleteKey');
    const { report } = await run({ mode: 'switchover', traffic: 'origin-swap' });
    expect(report.outcome).toBe('failed');
    expect(report.error).toMatch(/the edge key active-api-domain .* could not be removed and still decides where requests go/);
  });

  test('origin-swap is refused when us-east-1 is the failed region (forceable), and when the distribution cannot be read', async () => {
    world.down.add(REGIONS.pri);
    const refused = await run({ mode: 'failover', traffic: 'origin-swap' });
    expect(refused.report.outcome).toBe('refused');
    expect(refused.report.error).toMatch(
      /needs CloudFront's control plane in us-east-1, the region this failover leaves: use --traffic kvs/,
    );
    expect(world.mutations()).toEqual([]);
    const forced = await run({ mode: 'failover', traffic: 'origin-swap', force: true });
    expect(forced.report.outcome).toBe('completed');
    expect(world.apiOrigin().DomainName).toBe(API_DOMAIN.secd);

    const blind = new AwsWorld();
    try {
      blind.cloudfrontDown = true;
      blind.kvs.set(EDGE_ORIGIN_KEY, API_DOMAIN.pri);
      const unreadable = await run({ world: blind, mode: 'switchover', traffic: 'origin-swap', force: true });
      expect(unreadable.report.outcome).toBe('refused');
      expect(unreadable.report.error).toMatch(/control plane did not serve E2EXAMPLE123's config; use --traffic kvs/);
      expect(blind.mutations()).toEqual([]);
    } finally {
      blind.restore();
    }
  });

  test('tokens: an INACTIVE replica is activated in the secondary, never calling the primary region', async () => {
    world.withReplica('INACTIVE');
    world.down.add(REGIONS.pri);
    const { report } = await run({ mode: 'failover' });
    expect(report.outcome).toBe('completed');
    const [update] = world.commands('UpdateUserPoolReplica');
    expect(update).toMatchObject({ region: 'us-east-2', input: { UserPoolId: USER_POOL_ID, RegionName: 'us-east-2', Status: 'ACTIVE' } });
    expect(world.replicaStatus).toBe('ACTIVE');
    expect(tokensStep(report)?.detail).toMatch(/activated the user pool replica in us-east-2 \(INACTIVE → ACTIVE\)/);
    expect(world.createdClients).not.toContain('cognito-idp:us-east-1');
    expect(world.sent.filter((c) => c.service === 'cognito-idp').every((c) => c.region === 'us-east-2')).toBe(true);
  });

  test('tokens: already ACTIVE changes nothing; back to the primary calls nothing; no replica is a note about token expiry', async () => {
    world.withReplica('ACTIVE');
    const active = await run({ mode: 'switchover' });
    expect(active.report.alreadyInPlace).toContain('tokens');
    expect(world.commands('UpdateUserPoolReplica')).toEqual([]);

    const back = await run({ mode: 'switchover', to: 'us-east-1' });
    expect(tokensStep(back.report)?.detail).toBe("tokens come from the user pool in us-east-1 (the primary's own)");
    expect(world.commands('ListUserPoolReplicas')).toHaveLength(1);

    const plain = new AwsWorld();
    try {
      const none = await run({ world: plain, mode: 'switchover' });
      expect(tokensStep(none.report)?.detail).toMatch(/no user pool replica in us-east-2 \(COGNITO_REPLICA not set\)/);
      expect(none.report.notes.join('\n')).toMatch(/clients keep working only until their access token expires \(at most 60 min/);
      expect(plain.sent.filter((c) => c.service === 'cognito-idp')).toEqual([]);
    } finally {
      plain.restore();
    }
  });

  test('tokens: an activation that fails is a note, not a failed failover', async () => {
    world.withReplica('INACTIVE');
    world.denied.add('cognito-idp:UpdateUserPoolReplica');
    const { report } = await run({ mode: 'switchover' });
    expect(report.outcome).toBe('completed');
    expect(world.isWriterNow('secd')).toBe(true);
    expect(world.kvs.get(EDGE_ORIGIN_KEY)).toBe(API_DOMAIN.secd);
    expect(report.notes.join('\n')).toMatch(/Tokens: AccessDenied: .*cognito-idp:UpdateUserPoolReplica in us-east-2/);
  });
});

test('IAM: the actions the driver sends are exactly FAILOVER_IAM_ACTIONS', () => {
  // Depends on the scenarios above having run in this file (jest runs them in order).
  expect(scenariosRun.size).toBeGreaterThanOrEqual(19);
  expect([...sentActions].sort()).toEqual(failoverIamActionList());
});
