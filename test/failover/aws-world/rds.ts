// Aurora Global Database and RDS Proxy as seen from one region: the global cluster (visible from both
// regions), this region's cluster and proxy, and the three ways to move the writer.
import {
  DescribeDBClustersCommand,
  DescribeDBProxyTargetsCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  RegisterDBProxyTargetsCommand,
  RemoveFromGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
  type FailoverStatus,
} from '@aws-sdk/client-rds';
import { GLOBAL_CLUSTER_ID, REGION_ROLES, clusterId, proxyName, type RegionRole } from '#names';
import { REGIONS, clusterArn, fault, roleOfArn } from './fixtures';
import { route, type Route } from './route';
import type { AwsWorldState } from './state';

const checkGlobal = (id: string | undefined) => {
  if (id !== GLOBAL_CLUSTER_ID) throw fault('GlobalClusterNotFoundFault', `Global cluster ${id} not found`);
};
const started = { GlobalCluster: { GlobalClusterIdentifier: GLOBAL_CLUSTER_ID } };
/** `8.0.mysql_aurora.3.10.0` and `8.0.mysql_aurora.3.10.2` share major and minor (3.10). */
const sameMinor = (a: string, b: string) => a.split('.').slice(0, 5).join('.') === b.split('.').slice(0, 5).join('.');

export const rdsRoutes = (world: AwsWorldState, here: RegionRole): Route[] => [
  route(DescribeGlobalClustersCommand).answer((input) => {
    checkGlobal(input.GlobalClusterIdentifier);
    const p = world.pending;
    return {
      GlobalClusters: [
        {
          GlobalClusterIdentifier: GLOBAL_CLUSTER_ID,
          Status: world.globalStatus(),
          Engine: 'aurora-mysql',
          EngineVersion: world.engineVersion[world.writer],
          GlobalClusterMembers: REGION_ROLES.filter((r) => world.members.has(r)).map((r) => ({
            DBClusterArn: clusterArn(r),
            IsWriter: world.writer === r,
            Readers: REGION_ROLES.filter((o) => o !== r && world.members.has(o) && world.writer === r).map(clusterArn),
            SynchronizationStatus: world.isResyncing(r) ? 'pending-resync' : 'connected',
          })),
          FailoverState: p
            ? {
                // The SDK's FailoverStatus lacks 'switching-over', which the API documents and returns.
                Status: p.kind as FailoverStatus,
                FromDbClusterArn: clusterArn(p.from),
                ToDbClusterArn: clusterArn(p.to),
                IsDataLossAllowed: (p.cancelled ?? p.kind) === 'failing-over',
              }
            : undefined,
        },
      ],
    };
  }),

  route(DescribeDBClustersCommand).answer((input) => {
    if (input.DBClusterIdentifier !== clusterId(here)) {
      throw fault('DBClusterNotFoundFault', `DBCluster ${input.DBClusterIdentifier} not found.`);
    }
    const busy = world.pending?.to === here || world.clock.now() < world.busyUntil[here] || world.isResyncing(here);
    return {
      DBClusters: [
        {
          DBClusterIdentifier: clusterId(here),
          DBClusterArn: clusterArn(here),
          Status: busy ? 'modifying' : 'available',
          Engine: 'aurora-mysql',
          EngineVersion: world.engineVersion[here],
          DBClusterMembers: Array.from({ length: world.instances[here] }, (_, i) => ({
            DBInstanceIdentifier: `${clusterId(here)}-${i + 1}`,
            IsClusterWriter: i === 0 && world.isWriter(here),
          })),
          GlobalClusterIdentifier: world.members.has(here) ? GLOBAL_CLUSTER_ID : undefined,
        },
      ],
    };
  }),

  route(SwitchoverGlobalClusterCommand).answer((input) => {
    checkGlobal(input.GlobalClusterIdentifier);
    const to = roleOfArn(input.TargetDbClusterIdentifier);
    if (!to) throw fault('DBClusterNotFoundFault', `${input.TargetDbClusterIdentifier} not found`);
    if (world.pending || world.writer === to)
      throw fault('InvalidGlobalClusterStateFault', 'Global cluster is not in a state to switch over');
    if (world.isResyncing(to)) throw fault('InvalidGlobalClusterStateFault', `${clusterArn(to)} is not synchronized (pending-resync)`);
    if (world.engineVersion.pri !== world.engineVersion.secd) throw fault('InvalidGlobalClusterStateFault', 'engine versions differ');
    world.pending = { kind: 'switching-over', from: world.writer, to, doneAt: world.clock.now() + world.durations.switchover };
    return started;
  }),

  route(FailoverGlobalClusterCommand).answer((input) => {
    checkGlobal(input.GlobalClusterIdentifier);
    const to = roleOfArn(input.TargetDbClusterIdentifier);
    if (!to) throw fault('DBClusterNotFoundFault', `${input.TargetDbClusterIdentifier} not found`);
    const primaryDown = world.down.has(REGIONS[world.writer]);
    if (input.AllowDataLoss !== true && primaryDown) {
      throw fault('InvalidGlobalClusterStateFault', 'the primary is unavailable: a switchover cannot proceed');
    }
    if (world.pending || world.writer === to)
      throw fault('InvalidGlobalClusterStateFault', 'Global cluster is not in a state to fail over');
    if (world.isResyncing(to)) throw fault('InvalidGlobalClusterStateFault', `${clusterArn(to)} is not synchronized (pending-resync)`);
    if (!sameMinor(world.engineVersion.pri, world.engineVersion.secd)) {
      throw fault('InvalidGlobalClusterStateFault', 'a managed failover needs the same major and minor engine version');
    }
    world.pending = { kind: 'failing-over', from: world.writer, to, doneAt: world.clock.now() + world.durations.failover };
    // The old primary leaves the global cluster until its region recovers and Aurora re-adds it.
    if (primaryDown) world.members.delete(world.writer);
    return started;
  }),

  route(RemoveFromGlobalClusterCommand).answer((input) => {
    checkGlobal(input.GlobalClusterIdentifier);
    const role = roleOfArn(input.DbClusterIdentifier);
    if (!role) throw fault('DBClusterNotFoundFault', `${input.DbClusterIdentifier} not found (pass the ARN)`);
    if (!world.members.has(role)) throw fault('InvalidGlobalClusterStateFault', 'not a member');
    world.members.delete(role);
    world.busyUntil[role] = world.clock.now() + world.durations.detach;
    world.proxyReadyAt[role] = world.busyUntil[role] + world.durations.proxy;
    return started;
  }),

  route(DescribeDBProxyTargetsCommand).answer((input) => {
    if (input.DBProxyName !== proxyName(here)) throw fault('DBProxyNotFoundFault', `DBProxy ${input.DBProxyName} not found`);
    if (!world.proxyRegistered[here]) return { Targets: [] };
    const writer = world.isWriter(here);
    const ready = world.clock.now() >= world.proxyReadyAt[here];
    return {
      Targets: [
        { Type: 'TRACKED_CLUSTER', RdsResourceId: clusterId(here), TargetHealth: { State: 'AVAILABLE' } },
        {
          Type: 'RDS_INSTANCE',
          RdsResourceId: `${clusterId(here)}-1`,
          TrackedClusterId: clusterId(here),
          Role: writer && ready ? 'READ_WRITE' : 'READ_ONLY',
          TargetHealth: ready ? { State: 'AVAILABLE' } : { State: 'UNAVAILABLE', Reason: 'PROMOTED' },
        },
      ],
    };
  }),

  route(RegisterDBProxyTargetsCommand).answer((input) => {
    if (input.DBProxyName !== proxyName(here)) throw fault('DBProxyNotFoundFault', `DBProxy ${input.DBProxyName} not found`);
    if (world.proxyRegistered[here]) throw fault('DBProxyTargetAlreadyRegisteredFault', 'already registered');
    if (input.DBClusterIdentifiers?.[0] !== clusterId(here)) throw fault('DBClusterNotFoundFault', 'wrong cluster');
    world.proxyRegistered[here] = true;
    world.proxyReadyAt[here] = world.clock.now() + world.durations.proxy;
    return { DBProxyTargets: [] };
  }),
];
