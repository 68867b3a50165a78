import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { cognitoKeyUseStatement } from './oauth-user-pool';

export interface UserPoolReplicaProps {
  /** The primary's user pool id (`<primary region>_…`): a replica shares it. */
  readonly userPoolId: string;
  /** ARN of the pool's multi-Region key in the primary region. */
  readonly primaryKeyArn: string;
}

/**
 * The user pool's replica in this stack's region (COGNITO_REPLICA=true), and the replica of the multi-Region
 * KMS key it is encrypted with, which must exist in the region before the pool is replicated there. Both are
 * L1 resources: aws-cdk-lib has no L2 for either. Deployed in the secondary's stack because that stack is the
 * first one in this region that runs after the pool and its key exist.
 *
 * A new replica starts INACTIVE: it serves end users (token requests) only once activated, which the failover
 * program does with UpdateUserPoolReplica (Status ACTIVE), a call Cognito accepts in either region.
 * https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-multi-region.html
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UpdateUserPoolReplica.html
 */
export class UserPoolReplica extends Construct {
  readonly replica: cognito.CfnUserPoolReplica;
  readonly replicaKey: kms.CfnReplicaKey;
  /** `arn:aws:cognito-idp:<this region>:<account>:userpool/<primary region>_…`: the shared id, this region. */
  readonly replicaArn: string;

  constructor(scope: Construct, id: string, props: UserPoolReplicaProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // A replica key has its own key policy (key policies are not shared between a key and its replicas).
    const keyPolicy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'AccountAdministers',
          principals: [new iam.AccountRootPrincipal()],
          actions: ['kms:*'],
          resources: ['*'],
        }),
        cognitoKeyUseStatement(stack.account),
      ],
    });
    // https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-replicate.html
    this.replicaKey = new kms.CfnReplicaKey(this, 'Key', {
      primaryKeyArn: props.primaryKeyArn,
      description: 'ToDoMgmt: replica of the user pool key, for the user pool replica in this region',
      keyPolicy,
      pendingWindowInDays: 7,
    });
    // Goes with the replica it serves (the primary key is DESTROY as well).
    this.replicaKey.applyRemovalPolicy(RemovalPolicy.DESTROY);

    this.replica = new cognito.CfnUserPoolReplica(this, 'Replica', {
      userPoolId: props.userPoolId,
      regionName: stack.region,
    });
    this.replica.node.addDependency(this.replicaKey);
    // The replica is a copy: deleting it loses nothing the primary does not hold.
    this.replica.applyRemovalPolicy(RemovalPolicy.DESTROY);

    this.replicaArn = stack.formatArn({
      service: 'cognito-idp',
      resource: 'userpool',
      resourceName: props.userPoolId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }
}
