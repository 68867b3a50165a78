import { CfnOutput, SecretValue } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { CrossRegionParameter } from './constructs/cross-region-parameter';
import { OAuthUserPool } from './constructs/oauth-user-pool';
import type { ToDoApi } from './constructs/todo-api';
import { UserPoolReplica } from './constructs/user-pool-replica';
import { ORIGIN_VERIFY_SECRET_FIELD } from './constructs/web-acls';
import { originVerifySecretName, type SsmKey, ssmParameterName } from '#names';
import { AppStack, type AppStackProps } from './app-stack';

/**
 * `ToDoMgmt-app-secd`: the functions and an API that trusts the primary's user pool (and, with
 * COGNITO_REPLICA=true, the pool's replica in this region). The primary's ids are read from SSM in the
 * primary region at deploy time and republished here, so that the secondary region alone is enough to fail
 * over: user pool, distribution, edge host and the KeyValueStore the traffic step writes.
 */
export class SecondaryAppStack extends AppStack {
  readonly api: ToDoApi;
  readonly userPoolReplica?: UserPoolReplica;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props, 'secd');
    const { config } = props;

    const fromPrimary = (key: SsmKey) =>
      new CrossRegionParameter(this, `Primary-${key}`, { parameterName: ssmParameterName('pri', key), region: config.regions.pri }).value;
    const userPoolArn = fromPrimary('user-pool-arn');
    const userPoolId = fromPrimary('user-pool-id');
    this.parameters.publish({
      'user-pool-arn': userPoolArn,
      'user-pool-id': userPoolId,
      'distribution-id': fromPrimary('distribution-id'),
      'edge-domain': fromPrimary('edge-domain'),
      'kvs-arn': fromPrimary('kvs-arn'),
    });

    const userPools: cognito.IUserPool[] = [cognito.UserPool.fromUserPoolArn(this, 'PrimaryUserPool', userPoolArn)];
    if (config.cognitoReplica) {
      this.userPoolReplica = new UserPoolReplica(this, 'UserPoolReplica', { userPoolId, primaryKeyArn: fromPrimary('user-pool-key-arn') });
      userPools.push(cognito.UserPool.fromUserPoolArn(this, 'ReplicaUserPool', this.userPoolReplica.replicaArn));
      this.parameters.publish({ 'user-pool-replica-arn': this.userPoolReplica.replicaArn });
      // The hosted domain is the primary's, and the replica shares it: Cognito prefix domains are named per
      // region (`<prefix>.auth.<region>.amazoncognito.com`). README, Known limits: not verifiable offline.
      new CfnOutput(this, 'TokenUrl', {
        value: `https://${OAuthUserPool.domainPrefix(config.cognitoDomainPrefix)}.auth.${this.region}.amazoncognito.com/oauth2/token`,
        description: 'The replica in this region: POST grant_type=client_credentials here once the failover activated it',
      });
    }

    // WAF=true: the replica of the origin-verify secret in this region, resolved by name.
    const originVerifyValue = config.waf
      ? SecretValue.secretsManager(originVerifySecretName, { jsonField: ORIGIN_VERIFY_SECRET_FIELD })
      : undefined;
    this.api = this.createApi(config, userPools, originVerifyValue);
    if (this.userPoolReplica) this.api.node.addDependency(this.userPoolReplica);
  }
}
