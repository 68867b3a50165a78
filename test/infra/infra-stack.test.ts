import { Match, type Template } from 'aws-cdk-lib/assertions';
import { clusterId, DB_USER, dbSecretName, GLOBAL_CLUSTER_ID, proxyName, ssmParameterName } from '#names';
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

describe.each([
  ['pri', () => pri],
  ['secd', () => secd],
] as const)('ToDoMgmt-infra-%s', (regionRole, template) => {
  test('isolated VPC: no NAT gateway, no internet gateway, flow logs on', () => {
    template().resourceCountIs('AWS::EC2::NatGateway', 0);
    template().resourceCountIs('AWS::EC2::InternetGateway', 0);
    template().resourceCountIs('AWS::EC2::FlowLog', 1);
    template().hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    for (const subnet of Object.values(template().findResources('AWS::EC2::Subnet'))) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    }
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

  test('RDS Proxy: IAM auth required from clients, TLS required, only the function security group may connect', () => {
    template().hasResourceProperties('AWS::RDS::DBProxy', {
      DBProxyName: proxyName(regionRole),
      RequireTLS: true,
      Auth: [Match.objectLike({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED' })],
    });
    template().hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 3306,
      ToPort: 3306,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionSecurityGroup'), 'GroupId'] },
    });
    // Inline and alone: EC2's default allow-all egress is replaced, the functions can reach nothing else.
    template().hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('functions'),
      SecurityGroupEgress: [
        Match.objectLike({
          FromPort: 3306,
          ToPort: 3306,
          DestinationSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProxyProxySecurityGroup'), 'GroupId'] },
        }),
      ],
    });
  });

  test('publishes its ids to SSM under /todomgmt/<role>/', () => {
    for (const key of ['region', 'cluster-id', 'cluster-arn', 'proxy-name', 'proxy-endpoint', 'global-cluster-id'] as const) {
      template().hasResourceProperties('AWS::SSM::Parameter', { Name: ssmParameterName(regionRole, key) });
    }
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

  test('creates no secret: its proxy uses the local replica, by the complete ARN looked up in this region', () => {
    secd.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const lookups = secd.findResources('Custom::AWS');
    const [lookupId] = Object.entries(lookups).find(([, r]) => JSON.stringify(r.Properties.Create).includes('describeSecret')) ?? [];
    expect(lookupId).toBeDefined();
    expect(JSON.stringify(lookups[lookupId!].Properties.Create)).not.toContain('"region"');
    secd.hasResourceProperties('AWS::RDS::DBProxy', {
      Auth: [Match.objectLike({ SecretArn: { 'Fn::GetAtt': [lookupId, 'ARN'] } })],
    });
  });
});
