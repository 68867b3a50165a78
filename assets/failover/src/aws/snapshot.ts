// After a data-loss failover: Aurora snapshots the old primary's storage volume before rebuilding it, as
// `rds:unplanned-global-failover-<old cluster>-<timestamp>` in the old primary's region. That snapshot "is a
// system snapshot that's subject to the backup retention period configured on the old primary cluster";
// copying it makes a manual snapshot that stays (Aurora user guide, "Using switchover or failover in Amazon
// Aurora Global Database"). CopyDBClusterSnapshot wants an `available` source and, within one region, its
// identifier; a copy of an encrypted snapshot keeps its KMS key when none is given (RDS API reference).
import { CopyDBClusterSnapshotCommand, DescribeDBClusterSnapshotsCommand, type DBClusterSnapshot } from '@aws-sdk/client-rds';
import type { RegionRole } from '#names';
import type { KeptWrites, Topology } from '../driver';
import { AwsCallError } from './aws-call';
import { keptSnapshotName, UNPLANNED_SNAPSHOT_PREFIX } from './snapshot-names';
import type { AwsContext } from './discover';

async function snapshotsOf(ctx: AwsContext, region: string, clusterId: string): Promise<DBClusterSnapshot[]> {
  const all: DBClusterSnapshot[] = [];
  let marker: string | undefined;
  do {
    // No SnapshotType: automated and manual snapshots both, so the copy made by an earlier run is seen too.
    const command = new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: clusterId, Marker: marker });
    const page = await ctx.caller.run('rds', region, command, () => ctx.clients.rds(region).send(command));
    all.push(...(page.DBClusterSnapshots ?? []));
    marker = page.Marker;
  } while (marker);
  return all;
}

export async function keepUnplannedSnapshot(
  ctx: AwsContext,
  topology: Topology,
  oldPrimary: RegionRole,
  since: string,
): Promise<KeptWrites> {
  const old = topology.regions[oldPrimary];
  const snapshots = await snapshotsOf(ctx, old.region, old.clusterId);
  const sinceMs = Date.parse(since);
  const source = snapshots
    .filter((s) => s.DBClusterSnapshotIdentifier?.startsWith(UNPLANNED_SNAPSHOT_PREFIX))
    .filter((s) => Number.isNaN(sinceMs) || (s.SnapshotCreateTime?.getTime() ?? 0) >= sinceMs - 60 * 60_000)
    .sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0))[0];
  if (!source) {
    return {
      alreadyInPlace: false,
      detail: `no ${UNPLANNED_SNAPSHOT_PREFIX}… snapshot of ${old.clusterId} in ${old.region} yet`,
      notes: [
        `Aurora has not taken its snapshot of ${old.clusterId} in ${old.region} yet (it does when it rebuilds that cluster). ` +
          'Run the same command again later: it copies the snapshot to a manual one then.',
      ],
    };
  }
  const sourceId = source.DBClusterSnapshotIdentifier!;
  const name = keptSnapshotName(old.clusterId, source.SnapshotCreateTime ?? new Date(sinceMs));
  const kept = (detail: string, alreadyInPlace: boolean): KeptWrites => ({
    alreadyInPlace,
    detail,
    kept: name,
    notes: [
      `The writes ${old.region} held beyond the new primary are in the manual snapshot ${name} (${old.region}), a copy of ` +
        `Aurora's ${sourceId}: restore it next to the new primary to reconcile them (aws rds restore-db-cluster-from-snapshot).`,
    ],
  });
  if (snapshots.some((s) => s.DBClusterSnapshotIdentifier === name)) return kept(`${name} already copied from ${sourceId}`, true);
  if (source.Status !== 'available') {
    return {
      alreadyInPlace: false,
      detail: `${sourceId} is ${source.Status}; it can be copied once available`,
      notes: [`Aurora's snapshot ${sourceId} (${old.region}) is still ${source.Status}: run the same command again later to copy it.`],
    };
  }
  const command = new CopyDBClusterSnapshotCommand({
    SourceDBClusterSnapshotIdentifier: sourceId,
    TargetDBClusterSnapshotIdentifier: name,
    CopyTags: true,
  });
  try {
    await ctx.caller.run('rds', old.region, command, () => ctx.clients.rds(old.region).send(command));
  } catch (error) {
    if (!(error instanceof AwsCallError && /AlreadyExists/.test(String((error.cause as Error)?.name)))) throw error;
  }
  return kept(`copied ${sourceId} to the manual snapshot ${name}`, false);
}
