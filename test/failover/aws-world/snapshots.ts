// DB cluster snapshots of one region: the automated `rds:unplanned-global-failover-…` snapshot Aurora
// takes of an old primary after a data-loss failover, and manual copies of it (RDS API reference,
// DescribeDBClusterSnapshots and CopyDBClusterSnapshot).
import { CopyDBClusterSnapshotCommand, DescribeDBClusterSnapshotsCommand, type DBClusterSnapshot } from '@aws-sdk/client-rds';
import { ACCOUNT, fault } from './fixtures';
import { route, type Route } from './route';
import type { AwsWorldState, ClusterSnapshot } from './state';

/** CopyDBClusterSnapshot's TargetDBClusterSnapshotIdentifier constraints, as the API reference states them. */
const VALID_TARGET = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}$/;

export const snapshotRoutes = (world: AwsWorldState, region: string): Route[] => {
  const here = () => (world.snapshots[region] ??= []);
  const shape = (s: ClusterSnapshot): DBClusterSnapshot => ({
    DBClusterSnapshotIdentifier: s.id,
    DBClusterIdentifier: s.clusterId,
    DBClusterSnapshotArn: `arn:aws:rds:${region}:${ACCOUNT}:cluster-snapshot:${s.id}`,
    SnapshotType: s.type,
    Status: world.clock.now() >= s.availableAt ? 'available' : 'creating',
    SnapshotCreateTime: new Date(s.createdAt),
    Engine: 'aurora-mysql',
    StorageEncrypted: true,
  });
  return [
    route(DescribeDBClusterSnapshotsCommand).answer((input) => {
      const id = input.DBClusterSnapshotIdentifier;
      // No SnapshotType: automated and manual snapshots both (not shared or public ones).
      const found = here().filter(
        (s) =>
          (id === undefined || s.id === id) &&
          (input.DBClusterIdentifier === undefined || s.clusterId === input.DBClusterIdentifier) &&
          (input.SnapshotType === undefined || s.type === input.SnapshotType),
      );
      if (id !== undefined && found.length === 0) throw fault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`);
      return { DBClusterSnapshots: found.map(shape) };
    }),

    route(CopyDBClusterSnapshotCommand).answer((input) => {
      const source = here().find((s) => s.id === input.SourceDBClusterSnapshotIdentifier);
      if (!source) throw fault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${input.SourceDBClusterSnapshotIdentifier} not found.`);
      if (world.clock.now() < source.availableAt) {
        throw fault('InvalidDBClusterSnapshotStateFault', `${source.id} is not in the available state`);
      }
      const target = input.TargetDBClusterSnapshotIdentifier ?? '';
      if (!VALID_TARGET.test(target) || target.endsWith('-')) {
        throw fault('InvalidParameterValue', `${target} is not a valid identifier`, { $metadata: { httpStatusCode: 400 } });
      }
      if (here().some((s) => s.id.toLowerCase() === target.toLowerCase())) {
        throw fault('DBClusterSnapshotAlreadyExistsFault', `DBClusterSnapshot ${target} already exists.`);
      }
      const copy: ClusterSnapshot = {
        id: target,
        clusterId: source.clusterId,
        type: 'manual',
        createdAt: world.clock.now(),
        availableAt: world.clock.now() + world.durations.snapshot,
      };
      here().push(copy);
      return { DBClusterSnapshot: shape(copy) };
    }),
  ];
};
