import { Duration, RemovalPolicy, SecretValue, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { AppConfig } from '#config';
import { IsolatedVpc } from './constructs/isolated-vpc';
import { PublishedParameters } from './constructs/published-parameters';
import { ReplicaSecret } from './constructs/replica-secret';
import { clusterId, DB_PORT, DB_USER, dbSecretName, GLOBAL_CLUSTER_ID, kmsAlias, proxyName, type RegionRole } from '#names';

export interface InfraStackProps extends StackProps {
  readonly regionRole: RegionRole;
  readonly config: AppConfig;
}

/** The same engine in both regions: a global database refuses members on another version. 3.10 is the LTS line. */
export const AURORA_ENGINE = rds.DatabaseClusterEngine.auroraMysql({ version: rds.AuroraMysqlEngineVersion.VER_3_10_4 });

const CLUSTER_LOG_TYPES = ['error', 'general', 'slowquery', 'audit'] as const;

/**
 * One region's data tier: VPC, KMS key, the Aurora cluster (source of the global database in the
 * primary, a member of it in the secondary), the RDS Proxy in front of it, and the SSM parameters
 * the failover program reads.
 */
export class InfraStack extends Stack {
  readonly network: IsolatedVpc;
  readonly proxy: rds.DatabaseProxy;
  /** Functions use this group; only it may reach the proxy. */
  readonly functionSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: InfraStackProps) {
    super(scope, id, props);
    const { regionRole, config } = props;
    const isPrimary = regionRole === 'pri';

    this.network = new IsolatedVpc(this, 'Network', { cidr: config.vpcCidr });
    const vpc = this.network.vpc;

    // A global cluster's secondary needs a key in its own region; each region owns one.
    const key = new kms.Key(this, 'DbKey', {
      alias: kmsAlias(regionRole),
      description: `ToDoMgmt ${regionRole}: Aurora storage encryption`,
      enableKeyRotation: true,
      // The primary's key must outlive the cluster: its final snapshot is encrypted with it.
      removalPolicy: isPrimary ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // Created in the primary and replicated by Secrets Manager itself, so the secondary's proxy has the
    // credentials locally even when the primary region is down. AWS-managed key: a replica cannot use
    // the primary region's customer key, and the secondary's key is created after this stack.
    const secret: secretsmanager.ISecret = isPrimary
      ? new rds.DatabaseSecret(this, 'DbSecret', {
          secretName: dbSecretName,
          username: DB_USER,
          replicaRegions: [{ region: config.regions.secd }],
        })
      : new ReplicaSecret(this, 'DbSecretReplica', { secretName: dbSecretName }).secret;
    if (isPrimary) {
      // Goes with the stack: a cluster restored from the final snapshot gets a new master password anyway.
      (secret as rds.DatabaseSecret).applyRemovalPolicy(RemovalPolicy.DESTROY);
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'No automatic rotation: clients never see this password (functions use IAM auth at the proxy), and a rotation ' +
          'Lambda bound to the primary region would fail against a read-only cluster after a failover.',
      });
    }

    const cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: AURORA_ENGINE,
      clusterIdentifier: clusterId(regionRole),
      // The secondary gets its users from the global database; its credentials are removed below.
      credentials: isPrimary
        ? rds.Credentials.fromSecret(secret)
        : rds.Credentials.fromPassword(DB_USER, SecretValue.unsafePlainText('not-rendered-see-below')),
      defaultDatabaseName: isPrimary ? config.db.name : undefined,
      // Minor upgrades off: both regions of a global database must move to a new version together, on purpose.
      writer: rds.ClusterInstance.serverlessV2('Writer', { autoMinorVersionUpgrade: false }),
      // A secondary without a reader cannot be switched over to; the primary keeps costs down with the writer alone.
      readers: isPrimary ? [] : [rds.ClusterInstance.serverlessV2('Reader', { scaleWithWriter: true, autoMinorVersionUpgrade: false })],
      serverlessV2MinCapacity: config.db.minCapacity,
      serverlessV2MaxCapacity: config.db.maxCapacity,
      vpc,
      vpcSubnets: this.network.dbSubnets,
      port: DB_PORT,
      storageEncrypted: true,
      storageEncryptionKey: key,
      iamAuthentication: true,
      backup: { retention: Duration.days(config.db.backupRetentionDays) },
      deletionProtection: config.db.deletionProtection,
      cloudwatchLogsExports: [...CLUSTER_LOG_TYPES],
      // The primary holds the data: keep a final snapshot. A secondary is a copy, and Aurora cannot take a final
      // snapshot of a global database's secondary cluster, so it simply goes.
      removalPolicy: isPrimary ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    });
    const cfnCluster = cluster.node.defaultChild as rds.CfnDBCluster;
    // Created here, before the cluster, so they get a retention without a log-retention Lambda.
    for (const type of CLUSTER_LOG_TYPES) {
      const logGroup = new logs.LogGroup(this, `ClusterLogs-${type}`, {
        logGroupName: `/aws/rds/cluster/${clusterId(regionRole)}/${type}`,
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      cfnCluster.node.addDependency(logGroup);
    }

    if (isPrimary) {
      // No L2 for Aurora global databases (yet): the L1 makes the primary cluster its source.
      const globalCluster = new rds.CfnGlobalCluster(this, 'GlobalCluster', {
        globalClusterIdentifier: GLOBAL_CLUSTER_ID,
        sourceDbClusterIdentifier: cluster.clusterArn,
        deletionProtection: config.db.deletionProtection,
      });
      globalCluster.applyRemovalPolicy(RemovalPolicy.DESTROY);
    } else {
      // Join the global database: no master credentials, no database name (both come from the primary).
      cfnCluster.addPropertyOverride('GlobalClusterIdentifier', GLOBAL_CLUSTER_ID);
      cfnCluster.addPropertyDeletionOverride('MasterUsername');
      cfnCluster.addPropertyDeletionOverride('MasterUserPassword');
    }
    acknowledgeClusterFindings(cluster, config);

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc,
      description: 'ToDoMgmt functions: may reach the RDS Proxy only',
      allowAllOutbound: false,
    });

    this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
      dbProxyName: proxyName(regionRole),
      proxyTarget: rds.ProxyTarget.fromCluster(cluster),
      // In the secondary this is the replica, read in-region: the proxy keeps working with the primary region gone.
      secrets: [secret],
      vpc,
      vpcSubnets: this.network.dbSubnets,
      iamAuth: true,
      requireTLS: true,
      debugLogging: false,
    });
    // The one allowed path, both directions. The egress rule is written inline (a peer by id) so that the
    // group's rule list replaces EC2's default allow-all egress.
    const [proxySecurityGroup] = this.proxy.connections.securityGroups;
    proxySecurityGroup.addIngressRule(this.functionSecurityGroup, ec2.Port.tcp(DB_PORT), 'ToDoMgmt functions to the RDS Proxy');
    this.functionSecurityGroup.addEgressRule(
      ec2.Peer.securityGroupId(proxySecurityGroup.securityGroupId),
      ec2.Port.tcp(DB_PORT),
      'ToDoMgmt functions to the RDS Proxy',
    );

    new PublishedParameters(this, 'Parameters', {
      regionRole,
      values: {
        region: this.region,
        'cluster-id': clusterId(regionRole),
        'cluster-arn': cluster.clusterArn,
        'proxy-name': proxyName(regionRole),
        'proxy-endpoint': this.proxy.endpoint,
        // A fixed name, so either region can publish it without waiting for the other.
        'global-cluster-id': GLOBAL_CLUSTER_ID,
      },
    });
  }
}

function acknowledgeClusterFindings(cluster: rds.DatabaseCluster, config: AppConfig): void {
  Validations.of(cluster).acknowledge({
    id: 'AwsSolutions-RDS11',
    reason: 'Default MySQL port: only the RDS Proxy security group can reach the cluster, a custom port adds no protection.',
  });
  Validations.of(cluster).acknowledge({
    id: 'AwsSolutions-RDS14',
    reason: 'Backtrack is not supported for Aurora global databases; point-in-time restore from backups covers it.',
  });
  if (!config.db.deletionProtection) {
    Validations.of(cluster).acknowledge({
      id: 'AwsSolutions-RDS10',
      reason:
        'Deletion protection is off by configuration (DB_DELETION_PROTECTION=false) so delete.sh can remove a demo; ' +
        'set it to true for real data.',
    });
  }
}
