import { Match, type Template } from 'aws-cdk-lib/assertions';
import {
  clusterId,
  DB_APP_USER,
  DB_USER,
  dbAppSecretName,
  dbSecretName,
  GLOBAL_CLUSTER_ID,
  proxyName,
  proxyReadEndpointName,
  ssmParameterName,
} from '#names';
import { removeOutdir, type SynthesizedApp, synthApp } from './synth-app';

let synthesized: SynthesizedApp;
let pri: Template;
let secd: Template;

beforeAll(() => {
  synthesized = synthApp({ bundle: false });
  pri = synthesized.template(synthesized.stacks.pipeline.stages.pri.infra);
  secd = synthesized.template(synthesized.stacks.pipeline.stages.secd.infra);
});
afterAll(() => removeOutdir(synthesized));

type Resources = Record<string, { Properties: Record<string, unknown> }>;
const getAtt = (logicalId: string, attribute = 'GroupId') => ({ 'Fn::GetAtt': [logicalId, attribute] });

/** The one logical id of `type` whose id starts with `prefix`. */
function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** Ingress rules (separate resources) into the group `groupId`, as [source group id, port]. */
function ingressInto(template: Template, groupId: string): [string, number][] {
  return Object.values(template.findResources('AWS::EC2::SecurityGroupIngress') as Resources)
    .filter((rule) => JSON.stringify(rule.Properties.GroupId) === JSON.stringify(getAtt(groupId)))
    .map((rule) => [
      (rule.Properties.SourceSecurityGroupId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0],
      rule.Properties.FromPort as number,
    ]);
}

/** Inline egress rules of `groupId`, as [destination group id, port]. */
function egressOf(template: Template, groupId: string): [string, number][] {
  const group = (template.findResources('AWS::EC2::SecurityGroup') as Resources)[groupId];
  return (group.Properties.SecurityGroupEgress as { DestinationSecurityGroupId?: { 'Fn::GetAtt': [string] }; FromPort: number }[])
    .filter((rule) => rule.DestinationSecurityGroupId !== undefined)
    .map((rule) => [rule.DestinationSecurityGroupId!['Fn::GetAtt'][0], rule.FromPort]);
}

describe.each([
  ['pri', 'us-east-1', () => pri],
  ['secd', 'us-east-2', () => secd],
] as const)('ToDoMgmt-infra-%s', (regionRole, region, template) => {
  test('isolated VPC: no NAT gateway, no internet gateway, flow logs on', () => {
    template().resourceCountIs('AWS::EC2::NatGateway', 0);
    template().resourceCountIs('AWS::EC2::InternetGateway', 0);
    template().resourceCountIs('AWS::EC2::FlowLog', 1);
    template().hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    for (const subnet of Object.values(template().findResources('AWS::EC2::Subnet'))) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    }
  });

  test('one VPC endpoint: Secrets Manager, private DNS, one AZ, HTTPS from the table function group only', () => {
    template().resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    template().hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: `com.amazonaws.${region}.secretsmanager`,
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SubnetIds: [{ Ref: Match.stringLikeRegexp('^NetworkVpcfunctionsSubnet1Subnet') }],
    });
    const endpointGroup = logicalId(template(), 'AWS::EC2::SecurityGroup', 'NetworkSecretsManagerEndpointSecurityGroup');
    // No inline ingress: CDK's default (`open`) would let the whole VPC in.
    expect(
      (template().findResources('AWS::EC2::SecurityGroup') as Resources)[endpointGroup].Properties.SecurityGroupIngress,
    ).toBeUndefined();
    const tableGroup = logicalId(template(), 'AWS::EC2::SecurityGroup', 'TableFunctionSecurityGroup');
    expect(ingressInto(template(), endpointGroup)).toEqual([[tableGroup, 443]]);
  });

  test('Aurora MySQL 3.10 (LTS), serverless v2, encrypted with the region own rotated KMS key', () => {
    template().hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template().hasResourceProperties('AWS::RDS::DBCluster', {
      DBClusterIdentifier: clusterId(regionRole),
      Engine: 'aurora-mysql',
      EngineVersion: Match.stringLikeRegexp('^8\\.0\\.mysql_aurora\\.3\\.10\\.'),
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbKey'), 'Arn'] },
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      BackupRetentionPeriod: 7,
      DeletionProtection: false,
    });
    for (const instance of Object.values(template().findResources('AWS::RDS::DBInstance'))) {
      expect(instance.Properties.DBInstanceClass).toBe('db.serverless');
    }
  });

  test('ships error and audit logs only (no general or slow query log: they carry the users data), each with a retention', () => {
    template().hasResourceProperties('AWS::RDS::DBCluster', { EnableCloudwatchLogsExports: ['error', 'audit'] });
    const logGroups = Object.values(template().findResources('AWS::Logs::LogGroup') as Resources)
      .map((group) => group.Properties)
      .filter((props) => String(props.LogGroupName).startsWith('/aws/rds/'));
    expect(logGroups.map((props) => props.LogGroupName).sort()).toEqual(
      ['audit', 'error'].map((type) => `/aws/rds/cluster/${clusterId(regionRole)}/${type}`),
    );
    for (const props of logGroups) expect(props.RetentionInDays).toBe(30);
  });

  test('Advanced Auditing on through the cluster parameter group: connects, DDL and DCL, never DML', () => {
    const group = logicalId(template(), 'AWS::RDS::DBClusterParameterGroup', 'ClusterParameters');
    template().hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Family: 'aurora-mysql8.0',
      Parameters: { server_audit_logging: '1', server_audit_events: 'CONNECT,QUERY_DCL,QUERY_DDL' },
    });
    template().hasResourceProperties('AWS::RDS::DBCluster', { DBClusterParameterGroupName: { Ref: group } });
  });

  test('Database Insights (standard) with Performance Insights on the cluster, encrypted with the region key', () => {
    template().hasResourceProperties('AWS::RDS::DBCluster', {
      PerformanceInsightsEnabled: true,
      DatabaseInsightsMode: 'standard',
      PerformanceInsightsRetentionPeriod: 7,
      PerformanceInsightsKmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbKey'), 'Arn'] },
    });
  });

  test('RDS Proxy: IAM auth required from clients, TLS required, one secret per database user (master, application)', () => {
    template().hasResourceProperties('AWS::RDS::DBProxy', {
      DBProxyName: proxyName(regionRole),
      RequireTLS: true,
      Auth: [
        Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED' }),
        Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED' }),
      ],
    });
  });

  test('only the two function groups reach the proxy; the ToDo functions reach nothing else, the table step also Secrets Manager', () => {
    const proxyGroup = logicalId(template(), 'AWS::EC2::SecurityGroup', 'ProxyProxySecurityGroup');
    const functionGroup = logicalId(template(), 'AWS::EC2::SecurityGroup', 'FunctionSecurityGroup');
    const tableGroup = logicalId(template(), 'AWS::EC2::SecurityGroup', 'TableFunctionSecurityGroup');
    const endpointGroup = logicalId(template(), 'AWS::EC2::SecurityGroup', 'NetworkSecretsManagerEndpointSecurityGroup');
    expect(ingressInto(template(), proxyGroup).sort()).toEqual(
      [
        [functionGroup, 3306],
        [tableGroup, 3306],
      ].sort(),
    );
    // Inline and alone: EC2's default allow-all egress is replaced.
    expect(egressOf(template(), functionGroup)).toEqual([[proxyGroup, 3306]]);
    expect(egressOf(template(), tableGroup)).toEqual([
      [proxyGroup, 3306],
      [endpointGroup, 443],
    ]);
  });

  test('a READ_ONLY proxy endpoint in the proxy group, for reads while the region is not the writer', () => {
    const proxy = logicalId(template(), 'AWS::RDS::DBProxy', 'Proxy');
    const proxyGroup = logicalId(template(), 'AWS::EC2::SecurityGroup', 'ProxyProxySecurityGroup');
    template().resourceCountIs('AWS::RDS::DBProxyEndpoint', 1);
    template().hasResourceProperties('AWS::RDS::DBProxyEndpoint', {
      DBProxyEndpointName: proxyReadEndpointName(regionRole),
      DBProxyName: { Ref: proxy },
      TargetRole: 'READ_ONLY',
      VpcSecurityGroupIds: [getAtt(proxyGroup)],
      VpcSubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^NetworkVpcdbSubnet') }]),
    });
  });

  test('publishes its ids to SSM under /todomgmt/<role>/, the read-only endpoint among them', () => {
    for (const key of ['region', 'cluster-id', 'cluster-arn', 'proxy-name', 'proxy-endpoint', 'global-cluster-id'] as const) {
      template().hasResourceProperties('AWS::SSM::Parameter', { Name: ssmParameterName(regionRole, key) });
    }
    template().hasResourceProperties('AWS::SSM::Parameter', {
      Name: ssmParameterName(regionRole, 'proxy-read-endpoint'),
      Value: getAtt(logicalId(template(), 'AWS::RDS::DBProxyEndpoint', 'ProxyReadEndpoint'), 'Endpoint'),
    });
  });
});

describe('ToDoMgmt-infra-pri', () => {
  test('owns the global database, with the primary cluster as its source (L1: no L2 exists)', () => {
    pri.hasResourceProperties('AWS::RDS::GlobalCluster', {
      GlobalClusterIdentifier: GLOBAL_CLUSTER_ID,
      SourceDBClusterIdentifier: {
        'Fn::Join': ['', Match.arrayWith([':rds:us-east-1:111111111111:cluster:', { Ref: Match.stringLikeRegexp('^Cluster') }])],
      },
    });
    pri.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Snapshot' });
  });

  test('creates the DB secret and has Secrets Manager replicate it to the secondary region', () => {
    pri.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: dbSecretName,
      ReplicaRegions: [{ Region: 'us-east-2' }],
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: JSON.stringify({ username: DB_USER }) }),
    });
    pri.hasResourceProperties('AWS::RDS::DBCluster', { MasterUsername: Match.anyValue(), DatabaseName: 'todos' });
  });

  test('creates the application secret, replicated the same way, with a password safe inside a SQL string', () => {
    pri.resourceCountIs('AWS::SecretsManager::Secret', 2);
    const appSecret = logicalId(pri, 'AWS::SecretsManager::Secret', 'DbAppSecret');
    pri.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Delete',
      Properties: {
        Name: dbAppSecretName,
        ReplicaRegions: [{ Region: 'us-east-2' }],
        GenerateSecretString: Match.objectLike({
          SecretStringTemplate: JSON.stringify({ username: DB_APP_USER }),
          GenerateStringKey: 'password',
          ExcludeCharacters: Match.anyValue(),
        }),
      },
    });
    const excluded = (pri.findResources('AWS::SecretsManager::Secret') as Resources)[appSecret].Properties.GenerateSecretString as {
      ExcludeCharacters: string;
    };
    for (const unsafe of [`'`, '"', '\\', ' ', '`']) expect(excluded.ExcludeCharacters).toContain(unsafe);
    // Not attached to the cluster: it is no master secret; the table step creates its user.
    pri.resourceCountIs('AWS::SecretsManager::SecretTargetAttachment', 1);
    pri.hasResourceProperties('AWS::RDS::DBProxy', {
      Auth: [
        Match.objectLike({ SecretArn: { Ref: Match.stringLikeRegexp('^DbSecret') } }),
        Match.objectLike({ SecretArn: { Ref: appSecret } }),
      ],
    });
  });

  test('the primary KMS key outlives the stack (its final snapshot needs it)', () => {
    pri.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });
});

describe('ToDoMgmt-infra-secd', () => {
  test('joins the global database: no master credentials, no database name, a writer and a reader', () => {
    secd.hasResourceProperties('AWS::RDS::DBCluster', {
      GlobalClusterIdentifier: GLOBAL_CLUSTER_ID,
      MasterUsername: Match.absent(),
      MasterUserPassword: Match.absent(),
      DatabaseName: Match.absent(),
    });
    secd.resourceCountIs('AWS::RDS::DBInstance', 2);
    secd.resourceCountIs('AWS::RDS::GlobalCluster', 0);
  });

  test('creates no secret: its proxy uses the local replicas of both, by the complete ARNs looked up in this region', () => {
    secd.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const lookups = secd.findResources('Custom::AWS') as Resources;
    const lookupOf = (secretName: string) => {
      const [id] =
        Object.entries(lookups).find(([, r]) => {
          const call = JSON.parse(String(r.Properties.Create)) as { action: string; parameters: { SecretId?: string }; region?: string };
          return call.action === 'describeSecret' && call.parameters.SecretId === secretName && call.region === undefined;
        }) ?? [];
      expect(id).toBeDefined();
      return id!;
    };
    secd.hasResourceProperties('AWS::RDS::DBProxy', {
      Auth: [
        Match.objectLike({ SecretArn: getAtt(lookupOf(dbSecretName), 'ARN') }),
        Match.objectLike({ SecretArn: getAtt(lookupOf(dbAppSecretName), 'ARN') }),
      ],
    });
  });
});
