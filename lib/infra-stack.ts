import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import type { AppConfig } from '#config';
import type { GlobalDatabaseMember, GlobalDatabaseMemberProps } from './constructs/global-database/member';
import { GlobalDatabasePrimary } from './constructs/global-database/primary';
import { GlobalDatabaseSecondary } from './constructs/global-database/secondary';
import { IsolatedVpc } from './constructs/isolated-vpc';
import { PublishedParameters } from './constructs/published-parameters';
import { clusterId, DB_PORT, GLOBAL_CLUSTER_ID, proxyName, type RegionRole } from '#names';

export interface InfraStackProps extends StackProps {
  readonly regionRole: RegionRole;
  readonly config: AppConfig;
}

/**
 * One region's data tier: VPC, the region's member of the Aurora global database (its primary in `pri`,
 * a secondary in `secd`: KMS key, credentials, cluster), the RDS Proxy in front of it, and the SSM
 * parameters the failover program reads.
 */
export class InfraStack extends Stack {
  readonly network: IsolatedVpc;
  readonly database: GlobalDatabaseMember;
  readonly proxy: rds.DatabaseProxy;
  /** Functions use this group; only it may reach the proxy. */
  readonly functionSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: InfraStackProps) {
    super(scope, id, props);
    const { regionRole, config } = props;

    this.network = new IsolatedVpc(this, 'Network', { cidr: config.vpcCidr });
    const vpc = this.network.vpc;

    const member: GlobalDatabaseMemberProps = {
      vpc,
      vpcSubnets: this.network.dbSubnets,
      minCapacity: config.db.minCapacity,
      maxCapacity: config.db.maxCapacity,
      backupRetention: Duration.days(config.db.backupRetentionDays),
      deletionProtection: config.db.deletionProtection,
    };
    // `Default` is path-transparent: the key, the secret and the cluster keep the logical ids they had as
    // children of the stack (a new logical id would replace the database).
    this.database =
      regionRole === 'pri'
        ? new GlobalDatabasePrimary(this, 'Default', { ...member, databaseName: config.db.name, secretReplicaRegion: config.regions.secd })
        : new GlobalDatabaseSecondary(this, 'Default', member);
    const { cluster, secret } = this.database;

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
