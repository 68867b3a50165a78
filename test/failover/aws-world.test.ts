// The simulated AWS keeps the promises of aws-world.md. Everything goes through real SDK clients, as
// the driver's calls do, so what is checked here is what the driver tests stand on.
import { GetDistributionCommand, GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDBClustersCommand,
  DescribeDBProxyTargetsCommand,
  DescribeGlobalClustersCommand,
  DescribeDBInstancesCommand,
  FailoverGlobalClusterCommand,
  RegisterDBProxyTargetsCommand,
  RemoveFromGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { DeleteKeyCommand, DescribeKeyValueStoreCommand, GetKeyCommand, PutKeyCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { ListUserPoolReplicasCommand, UpdateUserPoolReplicaCommand } from '@aws-sdk/client-cognito-identity-provider';
import { EDGE_ORIGIN_KEY, GLOBAL_CLUSTER_ID, clusterId, proxyName, type RegionRole } from '#names';
import type { AwsClients } from '#failover/aws/clients';
import {
  API_DOMAIN,
  AwsWorld,
  DISTRIBUTION_ID,
  EDGE_DOMAIN,
  KVS_ARN,
  REGIONS,
  REPLICA_ARN,
  USER_POOL_ID,
  clusterArn,
  initialDistributionConfig,
} from './aws-world';

let world: AwsWorld;
let aws: AwsClients;

beforeEach(() => {
  world = new AwsWorld();
  aws = world.clients();
});
afterEach(() => world.restore());

const rds = (role: RegionRole) => aws.rds(REGIONS[role]);
const globalCluster = async (from: RegionRole = 'secd') =>
  (await rds(from).send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: GLOBAL_CLUSTER_ID }))).GlobalClusters![0];
const cluster = async (role: RegionRole) =>
  (await rds(role).send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId(role) }))).DBClusters![0];
const proxyTargets = async (role: RegionRole) =>
  (await rds(role).send(new DescribeDBProxyTargetsCommand({ DBProxyName: proxyName(role), TargetGroupName: 'default' }))).Targets!;
const instanceTarget = async (role: RegionRole) => (await proxyTargets(role)).find((t) => t.Type === 'RDS_INSTANCE');
const switchover = (to: RegionRole, via: RegionRole = 'pri') =>
  rds(via).send(
    new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier: GLOBAL_CLUSTER_ID, TargetDbClusterIdentifier: clusterArn(to) }),
  );
const failover = (to: RegionRole, allowDataLoss: boolean) =>
  rds(to).send(
    new FailoverGlobalClusterCommand({
      GlobalClusterIdentifier: GLOBAL_CLUSTER_ID,
      TargetDbClusterIdentifier: clusterArn(to),
      AllowDataLoss: allowDataLoss,
    }),
  );
const detach = (role: RegionRole, id = clusterArn(role)) =>
  rds(role).send(new RemoveFromGlobalClusterCommand({ GlobalClusterIdentifier: GLOBAL_CLUSTER_ID, DbClusterIdentifier: id }));
const members = async () => (await globalCluster()).GlobalClusterMembers!.map((m) => `${m.DBClusterArn}:${m.IsWriter}`);
const cloudfront = () => aws.cloudfront();
const lagQuery = (id: string): GetMetricDataCommandInput => ({
  StartTime: new Date(0),
  EndTime: new Date(world.clock.now()),
  MetricDataQueries: [
    {
      Id: 'lag',
      MetricStat: {
        Metric: {
          Namespace: 'AWS/RDS',
          MetricName: 'AuroraGlobalDBReplicationLag',
          Dimensions: [{ Name: 'DBClusterIdentifier', Value: id }],
        },
        Period: 60,
        Stat: 'Maximum',
      },
    },
  ],
});

describe('shape', () => {
  test('clients are created on first use, one per service and region; CloudFront has one, in us-east-1', () => {
    expect(world.createdClients).toEqual([]);
    expect(aws.rds('us-east-2')).toBe(aws.rds('us-east-2'));
    aws.ssm('us-east-2');
    aws.cloudfront();
    expect(aws.cloudfront()).toBe(aws.cloudfront());
    expect(world.createdClients).toEqual(['rds:us-east-2', 'ssm:us-east-2', 'cloudfront:us-east-1']);
  });

  test('every command is recorded with its service, region, name and input, failed ones too', async () => {
    world.down.add(REGIONS.pri);
    await cluster('secd');
    await expect(cluster('pri')).rejects.toThrow();
    expect(world.sent).toEqual([
      { service: 'rds', region: 'us-east-2', name: 'DescribeDBClusters', input: { DBClusterIdentifier: clusterId('secd') } },
      { service: 'rds', region: 'us-east-1', name: 'DescribeDBClusters', input: { DBClusterIdentifier: clusterId('pri') } },
    ]);
    expect(world.commands('DescribeDBClusters')).toHaveLength(2);
    expect(world.mutations()).toEqual([]);
    world.down.clear();
    await switchover('secd');
    expect(world.mutations().map((c) => c.name)).toEqual(['SwitchoverGlobalCluster']);
  });

  test('a command the world does not simulate fails, and says so', async () => {
    await expect(rds('pri').send(new DescribeDBInstancesCommand({}))).rejects.toThrow('the test world does not simulate this rds command');
  });

  test('failures are rejected promises with the AWS error code as name and $metadata, like SDK exceptions', async () => {
    const sent = rds('pri').send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'nope' }));
    expect(sent).toBeInstanceOf(Promise);
    await expect(sent).rejects.toMatchObject({ name: 'DBClusterNotFoundFault', $metadata: {} });
  });
});

describe('time', () => {
  test('nothing happens by itself: an operation completes on the first call after its duration', async () => {
    await switchover('secd');
    await world.clock.sleep(world.durations.switchover - 1);
    expect((await globalCluster()).Status).toBe('switching-over');
    await world.clock.sleep(1);
    expect(world.writer).toBe('pri'); // not yet seen
    expect((await globalCluster()).Status).toBe('available');
    expect(world.writer).toBe('secd');
  });

  test('the durations are the documented ones', () => {
    expect(world.durations).toEqual({
      switchover: 75_000,
      failover: 50_000,
      detach: 40_000,
      cancel: 30_000,
      proxy: 20_000,
      deploy: 240_000,
      resync: 600_000,
      snapshot: 120_000,
      replicaActivation: 15_000,
    });
  });
});

describe('RDS', () => {
  test('the global cluster: the same from both regions, pri the writer with secd as reader; other ids are not found', async () => {
    const fromPri = await globalCluster('pri');
    expect(fromPri).toEqual(await globalCluster('secd'));
    expect(fromPri).toMatchObject({
      GlobalClusterIdentifier: GLOBAL_CLUSTER_ID,
      Status: 'available',
      GlobalClusterMembers: [
        { DBClusterArn: clusterArn('pri'), IsWriter: true, Readers: [clusterArn('secd')] },
        { DBClusterArn: clusterArn('secd'), IsWriter: false, Readers: [] },
      ],
    });
    expect(fromPri.FailoverState).toBeUndefined();
    await expect(rds('pri').send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: 'other' }))).rejects.toMatchObject({
      name: 'GlobalClusterNotFoundFault',
    });
  });

  test("a region knows only its own cluster: available, its instances, the writer's first instance, in the global cluster", async () => {
    world.instances.secd = 2;
    expect(await cluster('pri')).toMatchObject({
      DBClusterIdentifier: clusterId('pri'),
      DBClusterArn: clusterArn('pri'),
      Status: 'available',
      EngineVersion: '8.0.mysql_aurora.3.10.0',
      DBClusterMembers: [{ IsClusterWriter: true }],
      GlobalClusterIdentifier: GLOBAL_CLUSTER_ID,
    });
    expect((await cluster('secd')).DBClusterMembers).toEqual([
      { DBInstanceIdentifier: `${clusterId('secd')}-1`, IsClusterWriter: false },
      { DBInstanceIdentifier: `${clusterId('secd')}-2`, IsClusterWriter: false },
    ]);
    await expect(rds('pri').send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId('secd') }))).rejects.toMatchObject({
      name: 'DBClusterNotFoundFault',
    });
  });

  test('switchover: under way (target modifying), then the target is the writer and the old one a secondary', async () => {
    await switchover('secd');
    expect(await globalCluster()).toMatchObject({
      Status: 'switching-over',
      FailoverState: {
        Status: 'switching-over',
        FromDbClusterArn: clusterArn('pri'),
        ToDbClusterArn: clusterArn('secd'),
        IsDataLossAllowed: false,
      },
    });
    expect((await cluster('secd')).Status).toBe('modifying');
    expect((await cluster('pri')).Status).toBe('available');

    await world.clock.sleep(world.durations.switchover);
    expect(await members()).toEqual([`${clusterArn('pri')}:false`, `${clusterArn('secd')}:true`]);
    expect(await globalCluster()).toMatchObject({ Status: 'available', FailoverState: undefined });
    expect((await cluster('secd')).DBClusterMembers![0].IsClusterWriter).toBe(true);
  });

  test('switchover is refused while one is under way, to the writer itself, or across engine versions', async () => {
    const refused = { name: 'InvalidGlobalClusterStateFault' };
    world.engineVersion.secd = '8.0.mysql_aurora.3.08.2';
    await expect(switchover('secd')).rejects.toMatchObject({ ...refused, message: 'engine versions differ' });
    world.engineVersion.secd = world.engineVersion.pri;
    await expect(switchover('pri')).rejects.toMatchObject(refused);
    await switchover('secd');
    await expect(switchover('secd')).rejects.toMatchObject(refused);
  });

  test('failover: refused without AllowDataLoss while the primary region is down; with it, the old primary leaves', async () => {
    world.down.add(REGIONS.pri);
    await expect(failover('secd', false)).rejects.toMatchObject({ name: 'InvalidGlobalClusterStateFault' });
    await failover('secd', true);
    expect(await globalCluster()).toMatchObject({
      Status: 'failing-over',
      FailoverState: { Status: 'failing-over', ToDbClusterArn: clusterArn('secd'), IsDataLossAllowed: true },
    });
    expect(await members()).toEqual([`${clusterArn('secd')}:false`]);
    await world.clock.sleep(world.durations.failover);
    expect(await members()).toEqual([`${clusterArn('secd')}:true`]);
    expect(world.isWriterNow('secd')).toBe(true);
    await expect(failover('secd', true)).rejects.toMatchObject({ name: 'InvalidGlobalClusterStateFault' });

    // Only rejoin() brings the old primary back, as a secondary.
    world.rejoin('pri');
    expect(await members()).toEqual([`${clusterArn('pri')}:false`, `${clusterArn('secd')}:true`]);
    expect((await cluster('pri')).DBClusterMembers![0].IsClusterWriter).toBe(false);
  });

  test('failover with the primary up keeps it in the global cluster, as a secondary afterwards', async () => {
    await failover('secd', true);
    await world.clock.sleep(world.durations.failover);
    expect(await members()).toEqual([`${clusterArn('pri')}:false`, `${clusterArn('secd')}:true`]);
  });

  test('detach wants the ARN; the cluster is at once a standalone writer, busy for the detach time', async () => {
    await expect(detach('secd', clusterId('secd'))).rejects.toMatchObject({ name: 'DBClusterNotFoundFault' });
    await detach('secd');
    expect(await members()).toEqual([`${clusterArn('pri')}:true`]);
    expect(await cluster('secd')).toMatchObject({
      Status: 'modifying',
      GlobalClusterIdentifier: undefined,
      DBClusterMembers: [{ IsClusterWriter: true }],
    });
    expect(world.isWriterNow('pri')).toBe(true); // split brain: both write
    await world.clock.sleep(world.durations.detach);
    expect((await cluster('secd')).Status).toBe('available');
    await expect(detach('secd')).rejects.toMatchObject({ name: 'InvalidGlobalClusterStateFault' });
  });

  test("proxy targets: the region's own proxy; the writer's instance READ_WRITE, a promoted one UNAVAILABLE until ready", async () => {
    expect(await proxyTargets('pri')).toEqual([
      { Type: 'TRACKED_CLUSTER', RdsResourceId: clusterId('pri'), TargetHealth: { State: 'AVAILABLE' } },
      {
        Type: 'RDS_INSTANCE',
        RdsResourceId: `${clusterId('pri')}-1`,
        TrackedClusterId: clusterId('pri'),
        Role: 'READ_WRITE',
        TargetHealth: { State: 'AVAILABLE' },
      },
    ]);
    expect(await instanceTarget('secd')).toMatchObject({ Role: 'READ_ONLY', TargetHealth: { State: 'AVAILABLE' } });
    await expect(
      rds('pri').send(new DescribeDBProxyTargetsCommand({ DBProxyName: proxyName('secd'), TargetGroupName: 'default' })),
    ).rejects.toMatchObject({ name: 'DBProxyNotFoundFault' });

    await switchover('secd');
    await world.clock.sleep(world.durations.switchover);
    expect(await instanceTarget('secd')).toMatchObject({ Role: 'READ_ONLY', TargetHealth: { State: 'UNAVAILABLE', Reason: 'PROMOTED' } });
    await world.clock.sleep(world.durations.proxy);
    expect(await instanceTarget('secd')).toMatchObject({ Role: 'READ_WRITE', TargetHealth: { State: 'AVAILABLE' } });
    expect(
      (await rds('secd').send(new DescribeDBProxyTargetsCommand({ DBProxyName: proxyName('secd'), TargetGroupName: 'default' }))).Marker,
    ).toBeUndefined();
  });

  test('registering the cluster with its proxy: once, own cluster only, ready after the proxy time', async () => {
    world.proxyRegistered.secd = false;
    expect(await proxyTargets('secd')).toEqual([]);
    const register = (id: string) =>
      rds('secd').send(
        new RegisterDBProxyTargetsCommand({ DBProxyName: proxyName('secd'), TargetGroupName: 'default', DBClusterIdentifiers: [id] }),
      );
    await expect(register(clusterId('pri'))).rejects.toMatchObject({ name: 'DBClusterNotFoundFault' });
    await register(clusterId('secd'));
    expect(await instanceTarget('secd')).toMatchObject({ TargetHealth: { State: 'UNAVAILABLE' } });
    await world.clock.sleep(world.durations.proxy);
    expect(await instanceTarget('secd')).toMatchObject({ TargetHealth: { State: 'AVAILABLE' } });
    await expect(register(clusterId('secd'))).rejects.toMatchObject({ name: 'DBProxyTargetAlreadyRegisteredFault' });
  });
});

describe('CloudFront', () => {
  test('one distribution, read as copies with the current ETag; Deployed at the start', async () => {
    const config = await cloudfront().send(new GetDistributionConfigCommand({ Id: DISTRIBUTION_ID }));
    expect(config).toMatchObject({ ETag: 'E1', DistributionConfig: initialDistributionConfig() });
    config.DistributionConfig!.Comment = 'changed by the reader';
    const distribution = await cloudfront().send(new GetDistributionCommand({ Id: DISTRIBUTION_ID }));
    expect(distribution).toMatchObject({ ETag: 'E1', Distribution: { Id: DISTRIBUTION_ID, Status: 'Deployed' } });
    expect(distribution.Distribution!.DistributionConfig).toEqual(initialDistributionConfig());
    expect(world.apiOrigin().DomainName).toBe(API_DOMAIN.pri);
    await expect(cloudfront().send(new GetDistributionCommand({ Id: 'ENOPE' }))).rejects.toMatchObject({ name: 'NoSuchDistribution' });
  });

  test('updates need the current ETag (else 412), replace the config as sent, and deploy for a while', async () => {
    const next = initialDistributionConfig();
    next.Origins!.Items![0].DomainName = API_DOMAIN.secd;
    const update = (ifMatch: string) =>
      cloudfront().send(new UpdateDistributionCommand({ Id: DISTRIBUTION_ID, IfMatch: ifMatch, DistributionConfig: next }));
    await expect(update('E0')).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    expect(await update('E1')).toMatchObject({ ETag: 'E2', Distribution: { Status: 'InProgress' } });
    expect(world.distribution).toEqual(next);
    expect(world.apiOrigin().DomainName).toBe(API_DOMAIN.secd);

    const status = async () => (await cloudfront().send(new GetDistributionCommand({ Id: DISTRIBUTION_ID }))).Distribution!.Status;
    await world.clock.sleep(world.durations.deploy - 1);
    expect(await status()).toBe('InProgress');
    await world.clock.sleep(1);
    expect(await status()).toBe('Deployed');
  });

  test('etagConflicts: someone else edits first, so an update with the ETag just read fails; the edit stays', async () => {
    world.etagConflicts = 1;
    const read = await cloudfront().send(new GetDistributionConfigCommand({ Id: DISTRIBUTION_ID }));
    const update = (etag: string, config = read.DistributionConfig!) =>
      cloudfront().send(new UpdateDistributionCommand({ Id: DISTRIBUTION_ID, IfMatch: etag, DistributionConfig: config }));
    await expect(update(read.ETag!)).rejects.toMatchObject({ name: 'PreconditionFailed' });
    const again = await cloudfront().send(new GetDistributionConfigCommand({ Id: DISTRIBUTION_ID }));
    expect(again).toMatchObject({ ETag: 'E2', DistributionConfig: { Comment: 'ToDoMgmt API (edited by someone else)' } });
    await expect(update(again.ETag!, again.DistributionConfig)).resolves.toMatchObject({ ETag: 'E3' });
  });
});

describe('CloudFront KeyValueStore (global data plane)', () => {
  const kvs = () => aws.kvs();
  const put = (value: string, ifMatch: string) =>
    kvs().send(new PutKeyCommand({ KvsARN: KVS_ARN, Key: EDGE_ORIGIN_KEY, Value: value, IfMatch: ifMatch }));

  test('the key starts absent (ResourceNotFoundException); PutKey needs the current ETag (else ConflictException 409)', async () => {
    await expect(kvs().send(new GetKeyCommand({ KvsARN: KVS_ARN, Key: EDGE_ORIGIN_KEY }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect(await kvs().send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }))).toMatchObject({ ETag: 'KV1', ItemCount: 0 });
    await expect(put(API_DOMAIN.secd, 'KV0')).rejects.toMatchObject({ name: 'ConflictException', $metadata: { httpStatusCode: 409 } });
    await expect(put(API_DOMAIN.secd, 'KV1')).resolves.toMatchObject({ ETag: 'KV2', ItemCount: 1 });
    expect(await kvs().send(new GetKeyCommand({ KvsARN: KVS_ARN, Key: EDGE_ORIGIN_KEY }))).toMatchObject({ Value: API_DOMAIN.secd });
    await expect(kvs().send(new DeleteKeyCommand({ KvsARN: KVS_ARN, Key: EDGE_ORIGIN_KEY, IfMatch: 'KV2' }))).resolves.toMatchObject({
      ETag: 'KV3',
    });
    await expect(kvs().send(new DescribeKeyValueStoreCommand({ KvsARN: `${KVS_ARN}x` }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  test('kvsConflicts: someone else writes first; never down, even with both regions and CloudFront down', async () => {
    world.kvsConflicts = 1;
    await expect(put(API_DOMAIN.secd, 'KV1')).rejects.toMatchObject({ name: 'ConflictException' });
    await expect(put(API_DOMAIN.secd, 'KV2')).resolves.toBeDefined();
    world.down.add(REGIONS.pri).add(REGIONS.secd);
    world.cloudfrontDown = true;
    await expect(kvs().send(new DescribeKeyValueStoreCommand({ KvsARN: KVS_ARN }))).resolves.toMatchObject({ ETag: 'KV3' });
    await expect(cloudfront().send(new GetDistributionCommand({ Id: DISTRIBUTION_ID }))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(world.createdClients).toContain('cloudfront-keyvaluestore:global');
  });

  test('the edge answers from the key when present, else from the configured origin', async () => {
    expect((await world.httpGet(`https://${EDGE_DOMAIN}/v1`)).headers['x-todomgmt-region']).toBe('us-east-1');
    world.kvs.set(EDGE_ORIGIN_KEY, API_DOMAIN.secd);
    expect((await world.httpGet(`https://${EDGE_DOMAIN}/v1`)).headers['x-todomgmt-region']).toBe('us-east-2');
  });
});

describe('Cognito user pool replica', () => {
  const list = (region: string) => aws.cognito(region).send(new ListUserPoolReplicasCommand({ UserPoolId: USER_POOL_ID }));
  const statusIn = async (region: string) => (await list(region)).UserPoolReplicas!.find((r) => r.RegionName === REGIONS.secd)?.Status;

  test('no replica unless withReplica(); INACTIVE → ACTIVE a while after UpdateUserPoolReplica, in either region', async () => {
    expect((await list(REGIONS.secd)).UserPoolReplicas!.map((r) => r.RegionName)).toEqual([REGIONS.pri]);
    world.withReplica('INACTIVE');
    expect(world.parameters[REGIONS.secd]['/todomgmt/secd/user-pool-replica-arn']).toBe(REPLICA_ARN);
    expect(await statusIn(REGIONS.secd)).toBe('INACTIVE');
    await aws
      .cognito(REGIONS.secd)
      .send(new UpdateUserPoolReplicaCommand({ UserPoolId: USER_POOL_ID, RegionName: REGIONS.secd, Status: 'ACTIVE' }));
    expect(await statusIn(REGIONS.secd)).toBe('INACTIVE');
    await world.clock.sleep(world.durations.replicaActivation);
    expect(await statusIn(REGIONS.pri)).toBe('ACTIVE');
    world.down.add(REGIONS.pri);
    await expect(list(REGIONS.pri)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(aws.cognito(REGIONS.secd).send(new ListUserPoolReplicasCommand({ UserPoolId: 'us-east-1_NOPE' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('SSM and CloudWatch', () => {
  test("parameters: the region's own twelve, under the path, 10 a page", async () => {
    const ssm = aws.ssm(REGIONS.secd);
    const first = await ssm.send(new GetParametersByPathCommand({ Path: '/todomgmt', Recursive: true }));
    expect(first.Parameters).toHaveLength(10);
    expect(first.Parameters!.every((p) => p.Name!.startsWith('/todomgmt/secd/'))).toBe(true);
    expect(first.Parameters!.find((p) => p.Name === '/todomgmt/secd/api-domain')?.Value).toBe(API_DOMAIN.secd);
    expect(first.NextToken).toBe('10');
    const rest = await ssm.send(new GetParametersByPathCommand({ Path: '/todomgmt', NextToken: first.NextToken }));
    expect(rest).toMatchObject({
      Parameters: [
        { Name: '/todomgmt/secd/distribution-id', Value: DISTRIBUTION_ID },
        { Name: '/todomgmt/secd/edge-domain', Value: EDGE_DOMAIN },
      ],
      NextToken: undefined,
    });
    expect(first.Parameters!.find((p) => p.Name === '/todomgmt/secd/kvs-arn')?.Value).toBe(KVS_ARN);
    expect((await ssm.send(new GetParametersByPathCommand({ Path: '/other' }))).Parameters).toEqual([]);
  });

  test("replication lag: for the region's own cluster, newest first; nothing for another cluster or no datapoint", async () => {
    const lag = async (region: RegionRole, id: string) =>
      (await aws.cloudwatch(REGIONS[region]).send(new GetMetricDataCommand(lagQuery(id)))).MetricDataResults![0].Values;
    expect(await lag('secd', clusterId('secd'))).toEqual([120, 90]);
    expect(await lag('pri', clusterId('secd'))).toEqual([]);
    world.lagMs = undefined;
    expect(await lag('secd', clusterId('secd'))).toEqual([]);
  });
});

describe('faults', () => {
  test('a region that is down times out for RDS, SSM and CloudWatch; CloudFront still answers', async () => {
    world.down.add(REGIONS.pri);
    const timeout = { code: 'ETIMEDOUT' };
    await expect(cluster('pri')).rejects.toMatchObject(timeout);
    await expect(aws.ssm(REGIONS.pri).send(new GetParametersByPathCommand({ Path: '/todomgmt' }))).rejects.toMatchObject(timeout);
    await expect(aws.cloudwatch(REGIONS.pri).send(new GetMetricDataCommand(lagQuery(clusterId('pri'))))).rejects.toMatchObject(timeout);
    await expect(cloudfront().send(new GetDistributionCommand({ Id: DISTRIBUTION_ID }))).resolves.toBeDefined();
    await expect(cluster('secd')).resolves.toBeDefined();
    expect(world.sent.map((c) => c.name)).toEqual([
      'DescribeDBClusters',
      'GetParametersByPath',
      'GetMetricData',
      'GetDistribution',
      'DescribeDBClusters',
    ]);
  });

  test('throttling: n failures of that API, in any region, then normal answers', async () => {
    world.throttle.set('DescribeDBClusters', 2);
    const throttled = { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } };
    await expect(cluster('pri')).rejects.toMatchObject(throttled);
    await expect(cluster('secd')).rejects.toMatchObject(throttled);
    await expect(cluster('pri')).resolves.toBeDefined();
  });

  test('denied: AccessDenied (403) naming the action', async () => {
    world.denied.add('rds:SwitchoverGlobalCluster');
    await expect(switchover('secd')).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('is not authorized to perform: rds:SwitchoverGlobalCluster'),
      $metadata: { httpStatusCode: 403 },
    });
    expect(world.pending).toBeUndefined();
  });

  test('crashOn: one plain (non-AWS) error before the call does anything', async () => {
    world.crashOn.add('SwitchoverGlobalCluster');
    const crash = switchover('secd');
    await expect(crash).rejects.toThrow('simulated crash before SwitchoverGlobalCluster');
    await expect(crash).rejects.not.toHaveProperty('$metadata');
    expect(world.pending).toBeUndefined();
    await switchover('secd');
    expect(world.pending).toMatchObject({ kind: 'switching-over', to: 'secd' });
  });
});
