import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { clusterId, DB_PORT, kmsAlias, type RegionRole } from '#names';

/** The same engine in both regions: a global database refuses members on another version. 3.10 is the LTS line. */
export const AURORA_ENGINE = rds.DatabaseClusterEngine.auroraMysql({ version: rds.AuroraMysqlEngineVersion.VER_3_10_4 });

/**
 * What the cluster ships to CloudWatch Logs. Not `general` (every statement with its values: the users'
 * ToDos) and not `slowquery` (empty unless `slow_query_log` is on, and then the slow statements with
 * their values; Database Insights shows the top statements instead). `audit` is written only because the
 * cluster parameter group below turns Advanced Auditing on.
 */
export const CLUSTER_LOG_TYPES = ['error', 'audit'] as const;

/**
 * Aurora MySQL Advanced Auditing: connections (and failed logins), DDL and DCL (CREATE, ALTER, GRANT,
 * REVOKE: who changed the schema or the users), not DML or plain QUERY, which would log the users' data.
 * "Using Advanced Auditing with an Amazon Aurora MySQL DB cluster" (AuroraMySQL.Auditing.html).
 */
export const AUDIT_PARAMETERS: Readonly<Record<string, string>> = {
  server_audit_logging: '1',
  server_audit_events: 'CONNECT,QUERY_DCL,QUERY_DDL',
};

/**
 * Characters the application password never contains. The table step writes it into `CREATE USER ...
 * IDENTIFIED BY '<password>'` (account statements take no placeholders), so no quote, backslash or
 * whitespace; the rest of CDK's default exclusions for database secrets (`/ @ "` and URL and shell
 * metacharacters) stay out too, so the password is also safe in a connection string or a shell.
 */
export const APP_PASSWORD_EXCLUDE_CHARACTERS = ` %+~\`#$&*()|[]{}:;<>?!'/@"\\`;

export interface GlobalDatabaseMemberProps {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Serverless v2 capacity range of every instance, in ACUs. */
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly backupRetention: Duration;
  readonly deletionProtection: boolean;
}

/** What only one member has; everything else about the cluster both regions agree on. */
export interface MemberClusterOptions {
  readonly credentials: rds.Credentials;
  /** @default - no database is created (a secondary gets the primary's) */
  readonly defaultDatabaseName?: string;
  readonly readers: readonly rds.IClusterInstance[];
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One region's member of the Aurora global database: its own KMS key, the serverless v2 cluster and the
 * log groups of its exports. The two members must agree on engine, instances, capacity, encryption, logs,
 * IAM authentication and backups, so that either can become the writer; the subclasses hold what differs
 * (who owns the credentials and the global cluster, who keeps a final snapshot, who has a reader).
 */
export abstract class GlobalDatabaseMember extends Construct {
  /** The customer key of the cluster's storage. */
  abstract readonly key: kms.IKey;
  /** The master credentials: the RDS Proxy logs in with them for the table step only. */
  abstract readonly secret: secretsmanager.ISecret;
  /** The application user's credentials (`DB_APP_USER`): the proxy logs in with them for the ToDo functions. */
  abstract readonly appSecret: secretsmanager.ISecret;
  abstract readonly cluster: rds.DatabaseCluster;

  protected constructor(
    scope: Construct,
    id: string,
    protected readonly regionRole: RegionRole,
  ) {
    super(scope, id);
  }

  /** A global cluster's secondary needs a key in its own region, so each member owns one. */
  protected createKey(removalPolicy: RemovalPolicy): kms.Key {
    return new kms.Key(this, 'DbKey', {
      alias: kmsAlias(this.regionRole),
      description: `ToDoMgmt ${this.regionRole}: Aurora storage encryption`,
      enableKeyRotation: true,
      removalPolicy,
    });
  }

  protected createCluster(props: GlobalDatabaseMemberProps, key: kms.IKey, member: MemberClusterOptions): rds.DatabaseCluster {
    // The same settings in both members, so that auditing survives a switchover (AWS advises keeping the
    // members' cluster parameter groups alike: "Using switchover or failover in Amazon Aurora Global Database").
    const parameterGroup = new rds.ParameterGroup(this, 'ClusterParameters', {
      engine: AURORA_ENGINE,
      description: `ToDoMgmt ${this.regionRole}: Advanced Auditing of connections, DDL and DCL`,
      parameters: { ...AUDIT_PARAMETERS },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: AURORA_ENGINE,
      clusterIdentifier: clusterId(this.regionRole),
      credentials: member.credentials,
      defaultDatabaseName: member.defaultDatabaseName,
      // Minor upgrades off: both regions of a global database must move to a new version together, on purpose.
      writer: rds.ClusterInstance.serverlessV2('Writer', { autoMinorVersionUpgrade: false }),
      readers: [...member.readers],
      serverlessV2MinCapacity: props.minCapacity,
      serverlessV2MaxCapacity: props.maxCapacity,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      port: DB_PORT,
      storageEncrypted: true,
      storageEncryptionKey: key,
      iamAuthentication: true,
      backup: { retention: props.backupRetention },
      deletionProtection: props.deletionProtection,
      parameterGroup,
      cloudwatchLogsExports: [...CLUSTER_LOG_TYPES],
      // Database Insights (standard, the free tier: 7 days of Performance Insights), encrypted with the
      // region's own key. Set on the cluster, it covers every instance, serverless v2 included.
      enablePerformanceInsights: true,
      databaseInsightsMode: rds.DatabaseInsightsMode.STANDARD,
      performanceInsightRetention: rds.PerformanceInsightRetention.DEFAULT,
      performanceInsightEncryptionKey: key,
      removalPolicy: member.removalPolicy,
    });
    const cfnCluster = cluster.node.defaultChild as rds.CfnDBCluster;
    // Created here, before the cluster, so they get a retention without a log-retention Lambda.
    for (const type of CLUSTER_LOG_TYPES) {
      const logGroup = new logs.LogGroup(this, `ClusterLogs-${type}`, {
        logGroupName: `/aws/rds/cluster/${clusterId(this.regionRole)}/${type}`,
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      cfnCluster.node.addDependency(logGroup);
    }
    acknowledgeClusterFindings(cluster, props.deletionProtection);
    return cluster;
  }
}

function acknowledgeClusterFindings(cluster: rds.DatabaseCluster, deletionProtection: boolean): void {
  Validations.of(cluster).acknowledge({
    id: 'AwsSolutions-RDS11',
    reason: 'Default MySQL port: only the RDS Proxy security group can reach the cluster, a custom port adds no protection.',
  });
  Validations.of(cluster).acknowledge({
    id: 'AwsSolutions-RDS14',
    reason: 'Backtrack is not supported for Aurora global databases; point-in-time restore from backups covers it.',
  });
  if (!deletionProtection) {
    Validations.of(cluster).acknowledge({
      id: 'AwsSolutions-RDS10',
      reason:
        'Deletion protection is off by configuration (DB_DELETION_PROTECTION=false) so delete.sh can remove a demo; ' +
        'set it to true for real data.',
    });
  }
}
