// Each region's alarms and dashboard (issue 13), the optional e-mail topic, and reserved concurrency from
// .env (issue 14): synthesized once with ALARM_EMAIL and LAMBDA_RESERVED_CONCURRENCY set.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as rds from 'aws-cdk-lib/aws-rds';
import { TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';
import { alarmName, API_NAME, clusterId, dashboardName, functionName, proxyName, type RegionRole } from '#names';
import { ALARM_THRESHOLDS } from '../../lib/constructs/monitoring/regional-monitoring';
import { globalDatabaseLagMetric } from '../../lib/constructs/monitoring/replication-lag';
import { AURORA_ENGINE } from '../../lib/constructs/global-database/member';
import { removeOutdir, type SynthesizedApp, synthApp } from './synth-app';

const EMAIL = 'ops@example.com';
const REGIONS: Readonly<Record<RegionRole, string>> = { pri: 'us-east-1', secd: 'us-east-2' };
let synthesized: SynthesizedApp;
const templates = {} as Record<RegionRole, Template>;

beforeAll(() => {
  synthesized = synthApp({
    bundle: false,
    env: { ALARM_EMAIL: EMAIL, LAMBDA_RESERVED_CONCURRENCY: 'GetToDos=50, UpsertToDos=20,RemoveToDos=10' },
  });
  templates.pri = synthesized.template(synthesized.stacks.pipeline.stages.pri.app);
  templates.secd = synthesized.template(synthesized.stacks.pipeline.stages.secd.app);
});
afterAll(() => removeOutdir(synthesized));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation properties, read as the template has them
type Props = Record<string, any>;

function alarm(template: Template, regionRole: RegionRole, name: string): Props {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: alarmName(regionRole, name) } }));
  expect(found).toHaveLength(1);
  return found[0].Properties as Props;
}

describe.each(['pri', 'secd'] as const)('ToDoMgmt-app-%s alarms and dashboard', (regionRole) => {
  const template = () => templates[regionRole];
  const topicRef = () => ({ Ref: Object.keys(template().findResources('AWS::SNS::Topic'))[0] });

  test('the API 5XX rate: metric math 5XXError / Count of this API, an idle API is not failing', () => {
    const props = alarm(template(), regionRole, 'api-5xx-rate');
    expect(props).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: ALARM_THRESHOLDS.apiServerErrorPercent,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    const queries = props.Metrics as Props[];
    expect(queries.find((query) => query.Expression)).toMatchObject({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' });
    for (const [id, metricName] of [
      ['requests', 'Count'],
      ['errors', '5XXError'],
    ]) {
      expect(queries.find((query) => query.Id === id)).toMatchObject({
        MetricStat: {
          Metric: { Namespace: 'AWS/ApiGateway', MetricName: metricName, Dimensions: [{ Name: 'ApiName', Value: API_NAME }] },
          Stat: 'Sum',
          Period: 300,
        },
        ReturnData: false,
      });
    }
  });

  test('errors and throttles of every function, by its name; no invocation is no failure', () => {
    const functions = template().findResources('AWS::Lambda::Function');
    for (const name of Object.keys(TODO_FUNCTIONS) as ToDoFunctionName[]) {
      const [logicalId] = Object.entries(functions).find(([, fn]) => fn.Properties.FunctionName === functionName(regionRole, name))!;
      for (const [kind, metricName] of [
        ['errors', 'Errors'],
        ['throttles', 'Throttles'],
      ]) {
        expect(alarm(template(), regionRole, `${name}-${kind}`)).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId } }],
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    }
  });

  test('the proxy availability: the better of its two target roles, and silence counts as down', () => {
    const props = alarm(template(), regionRole, 'proxy-availability');
    expect(props).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: ALARM_THRESHOLDS.proxyAvailabilityPercent,
      EvaluationPeriods: 5,
      TreatMissingData: 'breaching',
    });
    const queries = props.Metrics as Props[];
    expect(queries.find((query) => query.Expression)).toMatchObject({ Expression: 'MAX([readWrite, readOnly])' });
    for (const [id, role] of [
      ['readWrite', 'READ_WRITE'],
      ['readOnly', 'READ_ONLY'],
    ]) {
      expect(queries.find((query) => query.Id === id)?.MetricStat).toEqual({
        Metric: {
          Namespace: 'AWS/RDS',
          MetricName: 'AvailabilityPercentage',
          Dimensions: [
            { Name: 'ProxyName', Value: proxyName(regionRole) },
            { Name: 'TargetGroup', Value: 'default' },
            { Name: 'TargetRole', Value: role },
          ],
        },
        Period: 60,
        Stat: 'Average',
      });
    }
  });

  test('the replication lag of this region own cluster (published while it is a secondary, so in both regions)', () => {
    expect(alarm(template(), regionRole, 'replication-lag')).toMatchObject({
      Namespace: 'AWS/RDS',
      MetricName: 'AuroraGlobalDBRPOLag',
      Dimensions: [{ Name: 'DBClusterIdentifier', Value: clusterId(regionRole) }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: ALARM_THRESHOLDS.replicationLagMs,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      TreatMissingData: 'notBreaching',
    });
  });

  test('every alarm notifies the region topic, on alarm and on recovery', () => {
    const alarms = Object.values(template().findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(3 + 2 * Object.keys(TODO_FUNCTIONS).length);
    for (const { Properties: props } of alarms) {
      expect(props.AlarmActions).toEqual([topicRef()]);
      expect(props.OKActions).toEqual([topicRef()]);
    }
  });

  test('the topic: its own rotated KMS key that CloudWatch may use, TLS only, this region alarms only, one e-mail subscription', () => {
    template().resourceCountIs('AWS::SNS::Topic', 1);
    const key = Object.keys(template().findResources('AWS::KMS::Key'))[0];
    template().hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    template().hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Effect: 'Allow',
          }),
        ]),
      },
    });
    template().hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '111111111111' } }),
          }),
        ]),
      },
    });
    const policy = Object.values(template().findResources('AWS::SNS::TopicPolicy'))[0].Properties as Props;
    const allow = (policy.PolicyDocument.Statement as Props[]).find((statement) => statement.Effect === 'Allow')!;
    expect(JSON.stringify(allow.Condition.ArnLike['aws:SourceArn'])).toContain(
      `:cloudwatch:${REGIONS[regionRole]}:111111111111:alarm:${alarmName(regionRole, '*')}`,
    );
    template().hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: EMAIL, TopicArn: topicRef() });
  });

  test('one dashboard, named from #names, with the alarms, the request rate, errors, throttles, proxy and lag', () => {
    template().resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const [dashboard] = Object.values(template().findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard.Properties.DashboardName).toBe(dashboardName(regionRole));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const fragment of [
      '\\"type\\":\\"alarm\\"',
      '\\"Count\\",\\"ApiName\\",\\"ToDoMgmtAPI\\"',
      '100 * errors / requests',
      '\\"AWS/Lambda\\",\\"Errors\\"',
      '\\"AWS/Lambda\\",\\"Throttles\\"',
      `\\"AvailabilityPercentage\\",\\"ProxyName\\",\\"${proxyName(regionRole)}\\"`,
      `\\"AuroraGlobalDBRPOLag\\",\\"DBClusterIdentifier\\",\\"${clusterId(regionRole)}\\"`,
      `\\"AuroraGlobalDBReplicationLag\\",\\"DBClusterIdentifier\\",\\"${clusterId(regionRole)}\\"`,
    ]) {
      expect(body).toContain(fragment);
    }
  });

  test('reserved concurrency from LAMBDA_RESERVED_CONCURRENCY, none for a function not listed', () => {
    const reserved = (name: ToDoFunctionName) =>
      Object.values(template().findResources('AWS::Lambda::Function', { Properties: { FunctionName: functionName(regionRole, name) } }))[0]
        .Properties.ReservedConcurrentExecutions as number | undefined;
    expect({ get: reserved('GetToDos'), upsert: reserved('UpsertToDos'), remove: reserved('RemoveToDos') }).toEqual({
      get: 50,
      upsert: 20,
      remove: 10,
    });
    expect(reserved('CreateTableFunction')).toBeUndefined();
  });
});

test('cdk-nag has nothing to say about the topic and its key (SNS2, SNS3, KMS5 hold)', () => {
  const report = JSON.parse(fs.readFileSync(path.join(synthesized.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; violations: unknown[] }[];
  };
  expect(report.pluginReports.filter((p) => p.pluginName === 'AwsSolutions').flatMap((p) => p.violations)).toEqual([]);
});

test('without ALARM_EMAIL: the same alarms, no topic, no actions', () => {
  const plain = synthApp({ bundle: false });
  try {
    const template = plain.template(plain.stacks.pipeline.stages.secd.app);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(3 + 2 * Object.keys(TODO_FUNCTIONS).length);
    for (const { Properties: props } of alarms) expect(props.AlarmActions).toBeUndefined();
  } finally {
    removeOutdir(plain);
  }
});

describe('which replication-lag metric the engine publishes', () => {
  const mysql = (version: rds.AuroraMysqlEngineVersion) => rds.DatabaseClusterEngine.auroraMysql({ version });
  test.each([
    ['MySQL 3.10.4 (ours)', 'AuroraGlobalDBRPOLag', AURORA_ENGINE],
    ['MySQL 3.04.0', 'AuroraGlobalDBRPOLag', mysql(rds.AuroraMysqlEngineVersion.VER_3_04_0)],
    ['MySQL 3.03.0', 'AuroraGlobalDBReplicationLag', mysql(rds.AuroraMysqlEngineVersion.VER_3_03_0)],
    ['MySQL 2.12.0', 'AuroraGlobalDBRPOLag', mysql(rds.AuroraMysqlEngineVersion.VER_2_12_0)],
    ['MySQL 2.11.2', 'AuroraGlobalDBReplicationLag', mysql(rds.AuroraMysqlEngineVersion.VER_2_11_2)],
    [
      'PostgreSQL 16.4',
      'AuroraGlobalDBRPOLag',
      rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
    ],
  ])('Aurora %s publishes %s', (_label, metric, engine) => {
    expect(globalDatabaseLagMetric(engine)).toBe(metric);
  });

  test('an engine without a version is refused rather than guessed', () => {
    expect(() => globalDatabaseLagMetric(rds.DatabaseClusterEngine.AURORA_MYSQL)).toThrow(/cannot tell the Aurora MySQL version/);
  });
});
