import { CfnOutput, Duration, type SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';
import type { AppConfig } from '#config';
import { PublishedParameters } from './constructs/published-parameters';
import { ToDoApi } from './constructs/todo-api';
import { ToDoFunction } from './constructs/todo-function';
import { ApiOriginGuard } from './constructs/web-acls';
import { ORIGIN_VERIFY_HEADER, type RegionRole } from '#names';

export interface AppStackProps extends StackProps {
  readonly config: AppConfig;
  readonly vpc: ec2.IVpc;
  readonly functionSubnets: ec2.SubnetSelection;
  readonly functionSecurityGroup: ec2.ISecurityGroup;
  readonly proxy: rds.IDatabaseProxy;
}

/**
 * What one region's API stack has in either region: the functions, the REST API with its authorizer,
 * and the SSM parameters it publishes. PrimaryAppStack adds what exists once for the whole system
 * (user pool, CloudFront, table creation); SecondaryAppStack takes those ids from the primary region.
 */
export abstract class AppStack extends Stack {
  readonly functions: Readonly<Record<ToDoFunctionName, lambda.Function>>;
  abstract readonly api: ToDoApi;
  /** What the failover program and the other region read, under `/todomgmt/<pri|secd>/`. */
  protected readonly parameters: PublishedParameters;

  protected constructor(
    scope: Construct,
    id: string,
    props: AppStackProps,
    readonly regionRole: RegionRole,
  ) {
    super(scope, id, props);

    const functions = {} as Record<ToDoFunctionName, lambda.Function>;
    for (const name of Object.keys(TODO_FUNCTIONS) as ToDoFunctionName[]) {
      functions[name] = new ToDoFunction(this, name, {
        regionRole,
        name,
        proxy: props.proxy,
        databaseName: props.config.db.name,
        vpc: props.vpc,
        vpcSubnets: props.functionSubnets,
        securityGroup: props.functionSecurityGroup,
        timeout: name === 'CreateTableFunction' ? Duration.seconds(60) : undefined,
      }).function;
    }
    this.functions = functions;

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
