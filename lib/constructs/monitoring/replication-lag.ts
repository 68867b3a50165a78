import type * as rds from 'aws-cdk-lib/aws-rds';

/** The lag metrics Aurora publishes for a global database's secondary cluster (milliseconds). */
export type GlobalDatabaseLagMetric = 'AuroraGlobalDBRPOLag' | 'AuroraGlobalDBReplicationLag';

/**
 * Which lag metric the engine publishes. AWS: "For all Aurora PostgreSQL-based global databases and for
 * Aurora MySQL-based global databases starting with engine versions 3.04.0 and higher or 2.12.0 and
 * higher, use Amazon CloudWatch to view the AuroraGlobalDBRPOLag metric ... For lower minor versions of
 * Aurora MySQL-based global databases, view the AuroraGlobalDBReplicationLag metric instead"
 * ("Using switchover or failover in Amazon Aurora Global Database"). RPO lag counts user transactions,
 * which is what a failover would lose.
 */
export function globalDatabaseLagMetric(engine: rds.IClusterEngine): GlobalDatabaseLagMetric {
  const fullVersion = engine.engineVersion?.fullVersion;
  if (engine.engineFamily === 'POSTGRESQL') return 'AuroraGlobalDBRPOLag';
  // Aurora MySQL full versions read `8.0.mysql_aurora.3.10.4` or `5.7.mysql_aurora.2.12.0`.
  const match = /mysql_aurora\.(\d+)\.(\d+)\./.exec(fullVersion ?? '');
  if (!match) throw new Error(`cannot tell the Aurora MySQL version from '${fullVersion}': name the lag metric by hand`);
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const publishesRpoLag = major > 3 || (major === 3 && minor >= 4) || (major === 2 && minor >= 12);
  return publishesRpoLag ? 'AuroraGlobalDBRPOLag' : 'AuroraGlobalDBReplicationLag';
}
