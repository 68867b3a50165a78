// The names of an old primary's snapshots after a data-loss failover: Aurora's and the program's copy.
// Dependency-free: the failover pipeline stack scopes the build role's permissions with them.

export const UNPLANNED_SNAPSHOT_PREFIX = 'rds:unplanned-global-failover-';

const STAMP_LENGTH = '20260101-1200'.length;

/** What every manual copy's name starts with, `todomgmt-infra-pri-db-cluster-lost-writes-` (the build role may create only these). */
export function keptSnapshotPrefix(clusterId: string): string {
  const base = clusterId.replace(/[^A-Za-z0-9-]/g, '-').replace(/-+/g, '-');
  return `${base.slice(0, 63 - '-lost-writes-'.length - STAMP_LENGTH).replace(/-$/, '')}-lost-writes-`;
}

/** `todomgmt-infra-pri-db-cluster-lost-writes-20260101-1200`: at most 63 letters, digits and single hyphens. */
export function keptSnapshotName(clusterId: string, sourceCreated: Date): string {
  const stamp = sourceCreated.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return `${keptSnapshotPrefix(clusterId)}${stamp}`;
}
