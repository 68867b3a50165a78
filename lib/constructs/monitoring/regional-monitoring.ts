import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ToDoFunctionName } from '#routes';
import { alarmName, API_NAME, clusterId, dashboardName, proxyName, type RegionRole } from '#names';
import { AlarmTopic } from './alarm-topic';
import { globalDatabaseLagMetric } from './replication-lag';

export interface RegionalMonitoringProps {
  readonly regionRole: RegionRole;
  readonly functions: Readonly<Record<ToDoFunctionName, lambda.IFunction>>;
  /** The cluster engine: it decides which replication-lag metric Aurora publishes. */
  readonly engine: rds.IClusterEngine;
  /**
   * Where the alarms send e-mail, through an SNS topic created here.
   * @default - no topic: the alarms change state on the dashboard and in the console only
   */
  readonly alarmEmail?: string;
}

/** The thresholds, in one place so the README and the alarm descriptions cannot disagree. */
export const ALARM_THRESHOLDS = {
  /** Percent of API requests answered 5XX, in 2 of 3 five-minute periods. */
  apiServerErrorPercent: 5,
  /** Function errors (uncaught exceptions, timeouts) or throttles in a five-minute period. */
  functionEvents: 1,
  /** Percent of the proxy's health checks that succeeded, in its better role, for 5 minutes in a row. */
  proxyAvailabilityPercent: 90,
  /** Replication lag of this region's cluster while it is a secondary, for 5 minutes in a row. */
  replicationLagMs: 10_000,
} as const;

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);
/** RDS Proxy's default target group: the only one a proxy for an Aurora cluster has. */
const PROXY_TARGET_GROUP = 'default';

/**
 * One region's alarms and dashboard: API 5XX rate, errors and throttles per function, the RDS Proxy's
 * availability, and the global database's replication lag, with the request rate on the dashboard.
 * Both regions get the same set: roles move in a failover, the alarms need not. Every metric is found by
 * the physical names in `#names` (API, proxy, cluster), so nothing here depends on the other stacks.
 */
export class RegionalMonitoring extends Construct {
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;
  /** The notification topic; undefined when no e-mail is configured. */
  readonly topic?: sns.ITopic;

  constructor(scope: Construct, id: string, props: RegionalMonitoringProps) {
    super(scope, id);
    const { regionRole } = props;
    const name = (alarm: string) => alarmName(regionRole, alarm);

    // API Gateway's stage metrics, by API name (CDK's own dimension for RestApi metrics).
    const api = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiName: API_NAME },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      });
    const requests = api('Count');
    const serverErrorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { requests, errors: api('5XXError') },
      label: 'API 5XX (% of requests)',
      period: FIVE_MINUTES,
    });
    const apiAlarm = serverErrorRate.createAlarm(this, 'ApiServerErrorRate', {
      alarmName: name('api-5xx-rate'),
      alarmDescription:
        `More than ${ALARM_THRESHOLDS.apiServerErrorPercent}% of the ${regionRole} API's requests answered 5XX in 2 of 3 five-minute ` +
        'periods. Check the function alarms and the proxy availability on the dashboard.',
      threshold: ALARM_THRESHOLDS.apiServerErrorPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      // No requests, no datapoint: an idle (passive) API has failed nobody.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const functionAlarms: cloudwatch.Alarm[] = [];
    const functionEntries = Object.entries(props.functions) as [ToDoFunctionName, lambda.IFunction][];
    for (const [fnName, fn] of functionEntries) {
      for (const [kind, metric] of [
        ['errors', fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' })],
        ['throttles', fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' })],
      ] as const) {
        functionAlarms.push(
          metric.createAlarm(this, `${fnName}${kind === 'errors' ? 'Errors' : 'Throttles'}`, {
            alarmName: name(`${fnName}-${kind}`),
            alarmDescription:
              kind === 'errors'
                ? `${fnName} failed (an uncaught error or a timeout, not an error answer) in the last five minutes: read its log group.`
                : `${fnName} was throttled in the last five minutes: its reserved concurrency (LAMBDA_RESERVED_CONCURRENCY) ` +
                  "or the account's unreserved concurrency is exhausted.",
            threshold: ALARM_THRESHOLDS.functionEvents,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluationPeriods: 1,
            // Lambda publishes nothing for a function that was not invoked.
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
      }
    }

    // AvailabilityPercentage per target role (dimensions ProxyName, TargetGroup, TargetRole; "Monitoring
    // RDS Proxy metrics with Amazon CloudWatch"), averaged over the proxy's nodes. A region serves
    // through one role at a time: READ_WRITE while its cluster is the writer, READ_ONLY (the readers)
    // while it is a secondary, so the better of the two is what the region can serve.
    const availability = (targetRole: 'READ_WRITE' | 'READ_ONLY') =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName: 'AvailabilityPercentage',
        dimensionsMap: { ProxyName: proxyName(regionRole), TargetGroup: PROXY_TARGET_GROUP, TargetRole: targetRole },
        statistic: 'Average',
        period: ONE_MINUTE,
        label: `${targetRole} availability (%)`,
      });
    const readWrite = availability('READ_WRITE');
    const readOnly = availability('READ_ONLY');
    const proxyAvailability = new cloudwatch.MathExpression({
      expression: 'MAX([readWrite, readOnly])',
      usingMetrics: { readWrite, readOnly },
      label: 'Proxy availability, better role (%)',
      period: ONE_MINUTE,
    });
    const proxyAlarm = proxyAvailability.createAlarm(this, 'ProxyAvailability', {
      alarmName: name('proxy-availability'),
      alarmDescription:
        `The ${regionRole} RDS Proxy reached its database in fewer than ${ALARM_THRESHOLDS.proxyAvailabilityPercent}% of its health ` +
        'checks, in both roles, for 5 minutes: the region cannot serve the API.',
      threshold: ALARM_THRESHOLDS.proxyAvailabilityPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 5,
      // The proxy reports this every minute from its own health checks of the targets ("RDS Proxy
      // monitoring dashboard"): silence means the proxy or its targets are gone.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    // Published for a secondary cluster only, in its own region, by its DBClusterIdentifier ("Cluster-level
    // metrics for Amazon Aurora": "available only in secondary AWS Regions"). After a failover the other
    // region is the secondary, which is why both regions alarm on their own cluster.
    const lagMetricName = globalDatabaseLagMetric(props.engine);
    const lag = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { DBClusterIdentifier: clusterId(regionRole) },
        statistic: 'Maximum',
        period: ONE_MINUTE,
      });
    const lagAlarm = lag(lagMetricName).createAlarm(this, 'ReplicationLag', {
      alarmName: name('replication-lag'),
      alarmDescription:
        `The ${regionRole} cluster, while a secondary, stayed more than ${ALARM_THRESHOLDS.replicationLagMs / 1000} s behind the ` +
        `writer for 5 minutes (${lagMetricName}): an unplanned failover now would lose that much.`,
      threshold: ALARM_THRESHOLDS.replicationLagMs,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      // The writer's cluster publishes no lag: missing is the normal state of the active region.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.alarms = [apiAlarm, proxyAlarm, lagAlarm, ...functionAlarms];
    if (props.alarmEmail !== undefined) {
      this.topic = new AlarmTopic(this, 'AlarmTopic', { regionRole, email: props.alarmEmail }).topic;
      const action = new actions.SnsAction(this.topic);
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    const fnMetrics = (pick: (fn: lambda.IFunction) => cloudwatch.IMetric) =>
      functionEntries.map(([fnName, fn]) => (pick(fn) as cloudwatch.Metric).with({ label: fnName }));
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: dashboardName(regionRole),
      defaultInterval: Duration.hours(3),
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: `ToDoMgmt ${regionRole}: alarms`, alarms: [...this.alarms], width: 24, height: 4 })],
        [
          new cloudwatch.GraphWidget({
            title: 'API requests and 5XX rate',
            left: [requests.with({ label: 'Requests (per 5 minutes)' })],
            right: [serverErrorRate],
            rightAnnotations: [apiAlarm.toAnnotation()],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Proxy availability by target role',
            left: [readWrite, readOnly],
            leftAnnotations: [proxyAlarm.toAnnotation()],
            leftYAxis: { min: 0, max: 100 },
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Function errors (per 5 minutes)',
            left: fnMetrics((fn) => fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function throttles (per 5 minutes)',
            left: fnMetrics((fn) => fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' })),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Replication lag of this cluster (while a secondary)',
            // Both, so the graph shows whichever the engine publishes; the alarm uses the one it documents.
            left: (['AuroraGlobalDBRPOLag', 'AuroraGlobalDBReplicationLag'] as const).map((metricName) =>
              lag(metricName).with({ label: `${metricName} (ms)` }),
            ),
            leftAnnotations: [lagAlarm.toAnnotation()],
            width: 8,
          }),
        ],
      ],
    });
  }
}
