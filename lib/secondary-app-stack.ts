import { SecretValue } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { CrossRegionParameter } from './constructs/cross-region-parameter';
import type { ToDoApi } from './constructs/todo-api';
import { ORIGIN_VERIFY_SECRET_FIELD } from './constructs/web-acls';
import { originVerifySecretName, type SsmKey, ssmParameterName } from '#names';
import { AppStack, type AppStackProps } from './app-stack';

/**
 * `ToDoMgmt-app-secd`: the functions and an API that trusts the primary's user pool. The primary's ids are
 * read from SSM in the primary region at deploy time and republished here, so that the secondary region
 * alone is enough to fail over: user pool, distribution, edge host and the KeyValueStore the traffic step writes.
 */
export class SecondaryAppStack extends AppStack {
  readonly api: ToDoApi;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props, 'secd');
    const { config } = props;

    const fromPrimary = (key: SsmKey) =>
      new CrossRegionParameter(this, `Primary-${key}`, { parameterName: ssmParameterName('pri', key), region: config.regions.pri }).value;
    const userPoolArn = fromPrimary('user-pool-arn');
    this.parameters.publish({
      'user-pool-arn': userPoolArn,
      'user-pool-id': fromPrimary('user-pool-id'),
      'distribution-id': fromPrimary('distribution-id'),
      'edge-domain': fromPrimary('edge-domain'),
      'kvs-arn': fromPrimary('kvs-arn'),
    });

    const userPools: cognito.IUserPool[] = [cognito.UserPool.fromUserPoolArn(this, 'PrimaryUserPool', userPoolArn)];
    // WAF=true: the replica of the origin-verify secret in this region, resolved by name.
    const originVerifyValue = config.waf && SecretValue.secretsManager(originVerifySecretName, { jsonField: ORIGIN_VERIFY_SECRET_FIELD });
    this.api = this.createApi(config, userPools, originVerifyValue || undefined);
  }
}
