// The simulated AWS keeps the rest of aws-world.md's promises: operations that are pending or cancelled,
// Aurora rebuilding an old primary after a data-loss failover (its snapshot, pending-resync), snapshot
// copies, the run record parameter, both lag metrics, the HTTPS answers, and the faults added for them.
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import {
  CopyDBClusterSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { GetParametersByPathCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { FAILOVER_RUN_PARAMETER, GLOBAL_CLUSTER_ID, clusterId, type RegionRole } from '#names';
import type { AwsClients } from '#failover/aws/clients';
import { API_DOMAIN, AwsWorld, EDGE_DOMAIN, REGIONS, clusterArn } from './aws-world';

let world: AwsWorld;
let aws: AwsClients;

beforeEach(() => {
  world = new AwsWorld();
  aws = world.clients();
});
afterEach(() => world.restore());

const rds = (role: RegionRole) => aws.rds(REGIONS[role]);
const globalCluster = async () =>
  (await rds('secd').send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: GLOBAL_CLUSTER_ID }))).GlobalClusters![0];
const cluster = async (role: RegionRole) =>
  (await rds(role).send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId(role) }))).DBClusters![0];
const sync = async () => (await globalCluster()).GlobalClusterMembers!.map((m) => `${m.DBClusterArn}:${m.SynchronizationStatus}`);
const switchover = (to: RegionRole) =>
  rds('pri').send(
    new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier: GLOBAL_CLUSTER_ID, TargetDbClusterIdentifier: clusterArn(to) }),
  );
const failover = (to: RegionRole) =>
  rds(to).send(
    new FailoverGlobalClusterCommand({
      GlobalClusterIdentifier: GLOBAL_CLUSTER_ID,
      TargetDbClusterIdentifier: clusterArn(to),
      AllowDataLoss: true,
    }),
  );
const snapshots = async (role: RegionRole, input: Partial<{ SnapshotType: string; DBClusterSnapshotIdentifier: string }> = {}) =>
  (await rds(role).send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: clusterId(role), ...input }))).DBClusterSnapshots!;

describe('operations under way', () => {
  test('cancelling: FailoverState says so (data loss allowed kept), then it is empty and nothing changed', async () => {
    await failover('secd');
    world.cancel();
    expect(await globalCluster()).toMatchObject({
      Status: 'failing-over',
      FailoverState: {
        Status: 'cancelling',
        FromDbClusterArn: clusterArn('pri'),
        ToDbClusterArn: clusterArn('secd'),
        IsDataLossAllowed: true,
      },
    });
    await world.clock.sleep(world.durations.cancel);
    expect(await globalCluster()).toMatchObject({ Status: 'available', FailoverState: undefined });
    expect(world.isWriterNow('pri')).toBe(true);
    expect(() => world.cancel()).toThrow('nothing to cancel');
  });

  test('pending: reported as such while the global cluster stays available, then completes', async () => {
    world.pending = { kind: 'pending', from: 'pri', to: 'secd', doneAt: world.clock.now() + 10_000 };
    expect(await globalCluster()).toMatchObject({ Status: 'available', FailoverState: { Status: 'pending' } });
    await world.clock.sleep(10_000);
    expect((await globalCluster()).FailoverState).toBeUndefined();
    expect(world.isWriterNow('secd')).toBe(true);
  });
});

describe('after a data-loss failover', () => {
  test('with the old primary up: Aurora snapshots it, then it is pending-resync (cluster modifying) until rebuilt', async () => {
    expect(await sync()).toEqual([`${clusterArn('pri')}:connected`, `${clusterArn('secd')}:connected`]);
    await failover('secd');
    await world.clock.sleep(world.durations.failover);
    expect(await sync()).toEqual([`${clusterArn('pri')}:pending-resync`, `${clusterArn('secd')}:connected`]);
    expect(await globalCluster()).toMatchObject({
      Status: 'modifying',
      FailoverState: undefined,
      EngineVersion: '8.0.mysql_aurora.3.10.0',
    });
    expect((await cluster('pri')).Status).toBe('modifying');
    const [snapshot] = await snapshots('pri');
    expect(snapshot).toMatchObject({
      DBClusterSnapshotIdentifier: `rds:unplanned-global-failover-${clusterId('pri')}-2026-01-01-12-00`,
      SnapshotType: 'automated',
      Status: 'creating',
      StorageEncrypted: true,
    });
    await expect(switchover('pri')).rejects.toMatchObject({ name: 'InvalidGlobalClusterStateFault', message: /pending-resync/ });

    await world.clock.sleep(world.durations.resync);
    expect(await sync()).toEqual([`${clusterArn('pri')}:connected`, `${clusterArn('secd')}:connected`]);
    expect(await globalCluster()).toMatchObject({ Status: 'available' });
    expect((await snapshots('pri'))[0].Status).toBe('available');
  });

  test('with its region down: the new writer is available while the global Status is not; rebuilt once it rejoins', async () => {
    world.down.add(REGIONS.pri);
    await failover('secd');
    await world.clock.sleep(world.durations.failover);
    expect(await globalCluster()).toMatchObject({ Status: 'modifying', FailoverState: undefined });
    expect((await cluster('secd')).Status).toBe('available');
    expect(world.snapshots[REGIONS.pri]).toEqual([]);
    world.rejoin('pri');
    expect(await sync()).toEqual([`${clusterArn('pri')}:pending-resync`, `${clusterArn('secd')}:connected`]);
    expect(await snapshots('pri')).toHaveLength(1);
  });

  test('a managed failover needs the same major and minor version', async () => {
    world.engineVersion.secd = '8.0.mysql_aurora.3.08.2';
    await expect(failover('secd')).rejects.toMatchObject({ name: 'InvalidGlobalClusterStateFault', message: /major and minor/ });
    world.engineVersion.secd = '8.0.mysql_aurora.3.10.1';
    await expect(failover('secd')).resolves.toBeDefined();
  });
});

describe('snapshots', () => {
  const copy = (source: string, target: string) =>
    rds('pri').send(
      new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: source, TargetDBClusterSnapshotIdentifier: target }),
    );

  test('describe filters by cluster, id and type; copy wants an available source and a valid, new name', async () => {
    await failover('secd');
    await world.clock.sleep(world.durations.failover);
    const [{ DBClusterSnapshotIdentifier: source }] = await snapshots('pri');
    await expect(copy(source!, 'kept-1')).rejects.toMatchObject({ name: 'InvalidDBClusterSnapshotStateFault' });
    await world.clock.sleep(world.durations.snapshot);
    for (const bad of ['1kept', 'kept--1', 'kept-', 'x'.repeat(64)]) {
      await expect(copy(source!, bad)).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    }
    await expect(copy('rds:nope', 'kept-1')).rejects.toMatchObject({ name: 'DBClusterSnapshotNotFoundFault' });
    expect(await copy(source!, 'kept-1')).toMatchObject({
      DBClusterSnapshot: { DBClusterSnapshotIdentifier: 'kept-1', SnapshotType: 'manual' },
    });
    await expect(copy(source!, 'KEPT-1')).rejects.toMatchObject({ name: 'DBClusterSnapshotAlreadyExistsFault' });
    expect((await snapshots('pri')).map((s) => s.SnapshotType)).toEqual(['automated', 'manual']);
    expect((await snapshots('pri', { SnapshotType: 'manual' })).map((s) => s.DBClusterSnapshotIdentifier)).toEqual(['kept-1']);
    await expect(snapshots('pri', { DBClusterSnapshotIdentifier: 'nope' })).rejects.toMatchObject({
      name: 'DBClusterSnapshotNotFoundFault',
    });
    expect(await snapshots('secd')).toEqual([]);
  });
});

describe('SSM, CloudWatch, HTTPS', () => {
  test('PutParameter: String only, 4 KB at most, Overwrite needed for an existing one; read back by path', async () => {
    const ssm = aws.ssm(REGIONS.secd);
    const put = (Value: string, Overwrite?: boolean, Type: 'String' | 'SecureString' = 'String') =>
      ssm.send(new PutParameterCommand({ Name: FAILOVER_RUN_PARAMETER, Value, Type, Overwrite }));
    await expect(put('x'.repeat(4097))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(put('a', true, 'SecureString')).rejects.toMatchObject({ name: 'UnsupportedParameterType' });
    await put('a');
    await expect(put('b')).rejects.toMatchObject({ name: 'ParameterAlreadyExists' });
    await put('b', true);
    const read = await ssm.send(new GetParametersByPathCommand({ Path: '/todomgmt/failover' }));
    expect(read.Parameters).toEqual([{ Name: FAILOVER_RUN_PARAMETER, Value: 'b', Type: 'String' }]);
    expect(world.parameters[REGIONS.pri][FAILOVER_RUN_PARAMETER]).toBeUndefined();
  });

  test('lag: AuroraGlobalDBRPOLag only from Aurora MySQL 3.04, the replication lag always, by query id, secondaries only', async () => {
    const query = (Id: string, MetricName: string): MetricDataQuery => ({
      Id,
      MetricStat: {
        Metric: { Namespace: 'AWS/RDS', MetricName, Dimensions: [{ Name: 'DBClusterIdentifier', Value: clusterId('secd') }] },
        Period: 60,
        Stat: 'Maximum',
      },
    });
    const lag = async (role: RegionRole = 'secd') =>
      (
        await aws.cloudwatch(REGIONS[role]).send(
          new GetMetricDataCommand({
            StartTime: new Date(0),
            EndTime: new Date(world.clock.now()),
            MetricDataQueries: [query('rpo', 'AuroraGlobalDBRPOLag'), query('rep', 'AuroraGlobalDBReplicationLag')],
          }),
        )
      ).MetricDataResults!.map((r) => [r.Id, r.Values]);
    expect(await lag()).toEqual([
      ['rpo', [150, 90]],
      ['rep', [120, 90]],
    ]);
    world.engineVersion.secd = '8.0.mysql_aurora.3.03.1';
    expect(await lag()).toEqual([
      ['rpo', []],
      ['rep', [120, 90]],
    ]);
    world.writer = 'secd';
    expect(await lag()).toEqual([
      ['rpo', []],
      ['rep', []],
    ]);
  });

  test('HTTPS: each API answers 401 naming its region; the edge as its configured origin; else no answer', async () => {
    expect(await world.httpGet(`https://${API_DOMAIN.secd}/prod/v1`)).toEqual({
      status: 401,
      headers: { 'x-todomgmt-region': 'us-east-2' },
    });
    expect(await world.httpGet(`https://${EDGE_DOMAIN}/v1`)).toEqual({ status: 401, headers: { 'x-todomgmt-region': 'us-east-1' } });
    world.apiOrigin().DomainName = API_DOMAIN.secd;
    expect((await world.httpGet(`https://${EDGE_DOMAIN}/v1`)).headers['x-todomgmt-region']).toBe('us-east-2');
    world.apiOrigin().DomainName = 'stale0000.execute-api.us-east-2.amazonaws.com';
    expect(await world.httpGet(`https://${EDGE_DOMAIN}/v1`)).toEqual({ status: 502, headers: {} });
    await expect(world.httpGet('https://stale0000.execute-api.us-east-2.amazonaws.com/prod/v1')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    world.down.add(REGIONS.pri);
    await expect(world.httpGet(`https://${API_DOMAIN.pri}/prod/v1`)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(world.httpGet(`http://${API_DOMAIN.secd}/prod/v1`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(world.probes).toHaveLength(7);
  });
});

describe('faults', () => {
  test('serverErrors: HTTP 503 from a region that answered, n times, then normal answers', async () => {
    world.serverErrors.set('DescribeDBClusters', 1);
    await expect(cluster('secd')).rejects.toMatchObject({
      name: 'ServiceUnavailable',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    });
    await expect(cluster('secd')).resolves.toBeDefined();
  });

  test('crashOnCall: the nth call from now fails once with a plain error', async () => {
    world.crashOnCall('DescribeDBClusters', 2);
    await expect(cluster('secd')).resolves.toBeDefined();
    await expect(cluster('secd')).rejects.toThrow('simulated crash before DescribeDBClusters');
    await expect(cluster('secd')).resolves.toBeDefined();
  });
});
