import { CfnOutput, type SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';
import type { AppConfig } from '#config';
import { CreateTableTrigger, TABLE_FUNCTION_TIMEOUT } from './constructs/create-table-trigger';
import { AURORA_ENGINE } from './constructs/global-database/member';
import { RegionalMonitoring } from './constructs/monitoring/regional-monitoring';
import { PublishedParameters } from './constructs/published-parameters';
import { ToDoApi } from './constructs/todo-api';
import { ToDoFunction } from './constructs/todo-function';
import { ApiOriginGuard } from './constructs/web-acls';
import { DB_APP_USER, DB_USER, ORIGIN_VERIFY_HEADER, type RegionRole } from '#names';

export interface AppStackProps extends StackProps {
  readonly config: AppConfig;
  readonly vpc: ec2.IVpc;
  readonly functionSubnets: ec2.SubnetSelection;
  /** The ToDo functions' group: the proxy only. */
  readonly functionSecurityGroup: ec2.ISecurityGroup;
  /** CreateTableFunction's group: the proxy and the Secrets Manager endpoint. */
  readonly tableFunctionSecurityGroup: ec2.ISecurityGroup;
  readonly proxy: rds.IDatabaseProxy;
  /** The proxy's READ_ONLY endpoint, for reads while this region's cluster is a secondary. */
  readonly proxyReadEndpoint: rds.IDatabaseProxyEndpoint;
  /** The application user's secret in this region (the replica in `secd`): the table step sets the user's password from it. */
  readonly appSecret: secretsmanager.ISecret;
}

/**
 * What one region's API stack has in either region: the functions, the table step, the REST API with
 * its authorizer, the region's alarms and dashboard, and the SSM parameters it publishes.
 * PrimaryAppStack adds what exists once for the whole system (user pool, CloudFront); SecondaryAppStack
 * takes those ids from the primary region.
 */
export abstract class AppStack extends Stack {
  readonly functions: Readonly<Record<ToDoFunctionName, lambda.Function>>;
  abstract readonly api: ToDoApi;
  readonly monitoring: RegionalMonitoring;
  /** What the failover program and the other region read, under `/todomgmt/<pri|secd>/`. */
  protected readonly parameters: PublishedParameters;

  protected constructor(
    scope: Construct,
    id: string,
    props: AppStackProps,
    readonly regionRole: RegionRole,
  ) {
    super(scope, id, props);
    const { config } = props;

    const functions = {} as Record<ToDoFunctionName, lambda.Function>;
    for (const name of Object.keys(TODO_FUNCTIONS) as ToDoFunctionName[]) {
      const isTableStep = name === 'CreateTableFunction';
      functions[name] = new ToDoFunction(this, name, {
        regionRole,
        name,
        proxy: props.proxy,
        readEndpoint: props.proxyReadEndpoint,
        // The master user only for the table step (DDL, and creating the application user); the ToDo
        // functions log in as the application user, which may only read and write the ToDo table.
        dbUser: isTableStep ? DB_USER : DB_APP_USER,
        databaseName: config.db.name,
        vpc: props.vpc,
        vpcSubnets: props.functionSubnets,
        securityGroup: isTableStep ? props.tableFunctionSecurityGroup : props.functionSecurityGroup,
        timeout: isTableStep ? TABLE_FUNCTION_TIMEOUT : undefined,
        reservedConcurrentExecutions: config.reservedConcurrency[name],
        environment: isTableStep ? { DB_APP_USER, DB_APP_SECRET_ARN: props.appSecret.secretArn } : undefined,
      }).function;
    }
    this.functions = functions;
    props.appSecret.grantRead(functions.CreateTableFunction);

    // In both regions: after a failover the secondary is the writer, and a deploy there must still be able
    // to create or change the table and the application user. Where the region is not the writer, the step
    // succeeds without writing (the table and the user arrive by replication).
    new CreateTableTrigger(this, 'CreateTable', {
      createTableFunction: functions.CreateTableFunction.currentVersion,
      executeAfter: [functions.CreateTableFunction],
    });

    this.monitoring = new RegionalMonitoring(this, 'Monitoring', {
      regionRole,
      functions,
      engine: AURORA_ENGINE,
      alarmEmail: config.alarmEmail,
    });

    this.parameters = new PublishedParameters(this, 'Parameters', { regionRole });
  }

  /**
   * The regional API, trusting tokens of `userPools` (the primary's in both regions, plus the replica in the
   * secondary with COGNITO_REPLICA=true). With WAF=true, `originVerifyValue` is the secret header value that the
   * stage's web ACL requires (a dynamic reference, resolved in this region).
   */
  protected createApi(config: AppConfig, userPools: readonly cognito.IUserPool[], originVerifyValue?: SecretValue): ToDoApi {
    const api = new ToDoApi(this, 'ToDoApi', { userPools, handlers: this.functions, throttle: config.apiThrottle });
    if (originVerifyValue) {
      new ApiOriginGuard(this, 'ApiOriginGuard', {
        stage: api.api.deploymentStage,
        headerName: ORIGIN_VERIFY_HEADER,
        headerValue: originVerifyValue,
      });
    } else {
      api.acknowledgeNoWaf();
    }
    this.parameters.publish({ 'api-domain': api.domainName, 'api-url': api.api.url });
    new CfnOutput(this, 'ApiEndpoint', { value: api.api.url, description: 'Regional API (stage URL); the routes live under /v1' });
    return api;
  }
}
