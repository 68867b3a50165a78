import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';
import type { AppConfig } from '#config';
import { ApiDistribution } from './constructs/api-distribution';
import { CreateTableTrigger } from './constructs/create-table-trigger';
import { CrossRegionParameter } from './constructs/cross-region-parameter';
import { OAuthUserPool } from './constructs/oauth-user-pool';
import { PublishedParameters } from './constructs/published-parameters';
import { ToDoApi } from './constructs/todo-api';
import { ToDoFunction } from './constructs/todo-function';
import { type RegionRole, type SsmKey, ssmParameterName } from '#names';

export interface AppStackProps extends StackProps {
  readonly regionRole: RegionRole;
  readonly config: AppConfig;
  readonly vpc: ec2.IVpc;
  readonly functionSubnets: ec2.SubnetSelection;
  readonly functionSecurityGroup: ec2.ISecurityGroup;
  readonly proxy: rds.IDatabaseProxy;
}

/**
 * One region's API: the functions, the REST API and its authorizer. The primary also owns what exists
 * once for the whole system: the user pool, the CloudFront distribution and the table creation. The
 * secondary reads the primary's ids from SSM in the primary region and republishes them in its own,
 * so that the secondary region alone is enough to fail over.
 */
export class AppStack extends Stack {
  readonly api: ToDoApi;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    const { regionRole, config } = props;

    const functions = {} as Record<ToDoFunctionName, lambda.Function>;
    for (const name of Object.keys(TODO_FUNCTIONS) as ToDoFunctionName[]) {
      functions[name] = new ToDoFunction(this, name, {
        regionRole,
        name,
        proxy: props.proxy,
        databaseName: config.db.name,
        vpc: props.vpc,
        vpcSubnets: props.functionSubnets,
        securityGroup: props.functionSecurityGroup,
        timeout: name === 'CreateTableFunction' ? Duration.seconds(60) : undefined,
      }).function;
    }

    const published: Partial<Record<SsmKey, string>> = {};
    let userPool: cognito.IUserPool;
    if (regionRole === 'pri') {
      const oauth = new OAuthUserPool(this, 'OAuth', {
        domainPrefix: config.cognitoDomainPrefix,
        deletionProtection: config.db.deletionProtection,
      });
      userPool = oauth.userPool;
      published['user-pool-id'] = oauth.userPool.userPoolId;
      published['user-pool-arn'] = oauth.userPool.userPoolArn;
      new CfnOutput(this, 'UserPoolId', { value: oauth.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: oauth.client.userPoolClientId });
      new CfnOutput(this, 'TokenUrl', {
        value: oauth.tokenUrl,
        description: 'POST grant_type=client_credentials here for an access token',
      });
    } else {
      const fromPrimary = (key: SsmKey) =>
        new CrossRegionParameter(this, `Primary-${key}`, { parameterName: ssmParameterName('pri', key), region: config.regions.pri }).value;
      const userPoolArn = fromPrimary('user-pool-arn');
      userPool = cognito.UserPool.fromUserPoolArn(this, 'PrimaryUserPool', userPoolArn);
      published['user-pool-arn'] = userPoolArn;
      published['user-pool-id'] = fromPrimary('user-pool-id');
      published['distribution-id'] = fromPrimary('distribution-id');
    }

    this.api = new ToDoApi(this, 'ToDoApi', { userPool, handlers: functions });
    published['api-domain'] = this.api.domainName;
    published['api-url'] = this.api.api.url;
    new CfnOutput(this, 'ApiEndpoint', { value: this.api.api.url, description: 'Regional API (stage URL); the routes live under /v1' });

    if (regionRole === 'pri') {
      const edge = new ApiDistribution(this, 'Edge', {
        api: this.api.api,
        customDomain: config.edgeDomain && {
          domainName: config.edgeDomain.domainName,
          certificate: acm.Certificate.fromCertificateArn(this, 'EdgeCertificate', config.edgeDomain.certificateArn),
        },
      });
      published['distribution-id'] = edge.distribution.distributionId;
      new CfnOutput(this, 'CloudfrontUrl', { value: edge.distribution.distributionDomainName });
      if (config.edgeDomain) {
        new CfnOutput(this, 'ApiDomainName', {
          value: config.edgeDomain.domainName,
          description: 'Point a CNAME (or a Route 53 alias) for this name at the CloudfrontUrl',
        });
      }
      new CfnOutput(this, 'CloudfrontDistributionId', { value: edge.distribution.distributionId });

      new CreateTableTrigger(this, 'CreateTable', {
        createTableFunction: functions.CreateTableFunction,
        executeAfter: [functions.CreateTableFunction],
      });
    }

    new PublishedParameters(this, 'Parameters', { regionRole, values: published });
  }
}
