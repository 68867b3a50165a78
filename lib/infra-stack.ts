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
import { clusterId, DB_PORT, GLOBAL_CLUSTER_ID, proxyName, proxyReadEndpointName, type RegionRole } from '#names';

export interface InfraStackProps extends StackProps {
  readonly regionRole: RegionRole;
  readonly config: AppConfig;
}

/**
 * One region's data tier: VPC, the region's member of the Aurora global database (its primary in `pri`,
 * a secondary in `secd`: KMS key, credentials, cluster), the RDS Proxy in front of it with a read-only
 * endpoint, and the SSM parameters the failover program reads.
 */
export class InfraStack extends Stack {
  readonly network: IsolatedVpc;
  readonly database: GlobalDatabaseMember;
  readonly proxy: rds.DatabaseProxy;
  /**
   * The proxy's READ_ONLY endpoint, on the cluster's readers. While this region's cluster is a secondary
   * of the global database the proxy's default (read/write) endpoint refuses every connection ("The target
   * group doesn't have any associated read/write instances"): reads go here then.
   * AWS: "Using RDS Proxy with Aurora global databases", "Working with Amazon RDS Proxy endpoints".
   */
  readonly proxyReadEndpoint: rds.IDatabaseProxyEndpoint;
  /** The ToDo functions use this group: it may reach the proxy, nothing else. */
  readonly functionSecurityGroup: ec2.SecurityGroup;
  /** CreateTableFunction's group: the proxy, and Secrets Manager's endpoint (it reads the application password). */
  readonly tableFunctionSecurityGroup: ec2.SecurityGroup;

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
    const { cluster, secret, appSecret } = this.database;

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc,
      description: 'ToDoMgmt functions: may reach the RDS Proxy only',
      allowAllOutbound: false,
    });
    this.tableFunctionSecurityGroup = new ec2.SecurityGroup(this, 'TableFunctionSecurityGroup', {
      vpc,
      description: 'ToDoMgmt CreateTableFunction: may reach the RDS Proxy and the Secrets Manager endpoint only',
      allowAllOutbound: false,
    });

    this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
      dbProxyName: proxyName(regionRole),
      proxyTarget: rds.ProxyTarget.fromCluster(cluster),
      // One secret per database user the proxy logs in as: the application user for the ToDo functions,
      // the master user for the table step. In the secondary these are the replicas, read in-region: the
      // proxy keeps working with the primary region gone.
      secrets: [secret, appSecret],
      vpc,
      vpcSubnets: this.network.dbSubnets,
      iamAuth: true,
      requireTLS: true,
      debugLogging: false,
    });
    const [proxySecurityGroup] = this.proxy.connections.securityGroups;
    // Same group as the default endpoint: the functions reach both endpoints by the same rule, and the
    // proxy's path to the cluster is the one it already has.
    this.proxyReadEndpoint = this.proxy.addEndpoint('ReadEndpoint', {
      dbProxyEndpointName: proxyReadEndpointName(regionRole),
      targetRole: rds.ProxyEndpointTargetRole.READ_ONLY,
      vpc,
      vpcSubnets: this.network.dbSubnets,
      securityGroups: [proxySecurityGroup],
    });

    // The allowed paths, both directions. Egress rules are written inline (a peer by id) so that each
    // group's rule list replaces EC2's default allow-all egress.
    for (const [group, who] of [
      [this.functionSecurityGroup, 'ToDoMgmt functions'],
      [this.tableFunctionSecurityGroup, 'ToDoMgmt CreateTableFunction'],
    ] as const) {
      proxySecurityGroup.addIngressRule(group, ec2.Port.tcp(DB_PORT), `${who} to the RDS Proxy`);
      group.addEgressRule(ec2.Peer.securityGroupId(proxySecurityGroup.securityGroupId), ec2.Port.tcp(DB_PORT), `${who} to the RDS Proxy`);
    }
    this.network.addSecretsManagerEndpoint(this.tableFunctionSecurityGroup);

    new PublishedParameters(this, 'Parameters', {
      regionRole,
      values: {
        region: this.region,
        'cluster-id': clusterId(regionRole),
        'cluster-arn': cluster.clusterArn,
        'proxy-name': proxyName(regionRole),
        'proxy-endpoint': this.proxy.endpoint,
        'proxy-read-endpoint': this.proxyReadEndpoint.endpoint,
        // A fixed name, so either region can publish it without waiting for the other.
        'global-cluster-id': GLOBAL_CLUSTER_ID,
      },
    });
  }
}
