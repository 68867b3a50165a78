import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ACCESS_TOKEN_VALIDITY_MINUTES, OAUTH_RESOURCE_SERVER, OAUTH_SCOPE_NAME } from '#routes';
import { USER_POOL_NAME } from '#names';

export interface OAuthUserPoolProps {
  /** `COGNITO_DOMAIN_PREFIX`; the account id is appended because hosted domains are global. */
  readonly domainPrefix: string;
  readonly deletionProtection: boolean;
  /**
   * Prepares the pool for multi-Region replication (COGNITO_REPLICA=true): a multi-Region customer managed KMS
   * key, which replication requires (the replica itself and the key's replica are created by the secondary's stack).
   * @default false
   */
  readonly replicable?: boolean;
}

/**
 * The key-policy statement that lets Cognito encrypt this account's user pool data with the key (the
 * envelope-encryption operations, for requests on behalf of this account only). Used for the multi-Region key
 * and its replica, whose key policies are separate.
 */
export function cognitoKeyUseStatement(account: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'CognitoUserPoolEncryption',
    principals: [new iam.ServicePrincipal('cognito-idp.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*', 'kms:DescribeKey'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': account } },
  });
}

/**
 * The OAuth2 issuer for machine clients: a user pool with a hosted domain (the token endpoint), the
 * resource server `api` with scope `upsert-delete`, and an app client with a secret that uses the
 * client-credentials flow. Lives in the primary region; the secondary's API trusts it too.
 */
export class OAuthUserPool extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;
  /** With `replicable`: the multi-Region key (primary) the pool's data is encrypted with. */
  readonly encryptionKey?: kms.Key;

  constructor(scope: Construct, id: string, props: OAuthUserPoolProps) {
    super(scope, id);

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: USER_POOL_NAME,
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      accountRecovery: cognito.AccountRecovery.NONE,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: props.deletionProtection,
      // Holds app clients only (no users): recreating it costs new client credentials, nothing more.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    if (props.replicable) this.encryptionKey = this.makeReplicable();

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: OAuthUserPool.domainPrefix(props.domainPrefix) },
    });

    const scope_ = new cognito.ResourceServerScope({ scopeName: OAUTH_SCOPE_NAME, scopeDescription: 'Create, update and delete ToDos' });
    const resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: OAUTH_RESOURCE_SERVER,
      userPoolResourceServerName: 'ToDoMgmt API',
      scopes: [scope_],
    });

    this.client = this.userPool.addClient('ApiClient', {
      userPoolClientName: 'ToDoMgmtApiClient',
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { clientCredentials: true },
        scopes: [cognito.OAuthScope.resourceServer(resourceServer, scope_)],
      },
      accessTokenValidity: Duration.minutes(ACCESS_TOKEN_VALIDITY_MINUTES),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });

    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason: 'No human users sign in: tokens are issued to app clients by the client-credentials flow, where MFA does not apply.',
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason: 'The Plus plan buys threat protection for user sign-ins; this pool has app clients only.',
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG3',
      reason: 'Threat protection (Plus plan) watches user sign-ins; this pool has app clients only, so it would protect nothing.',
    });
  }

  /**
   * What multi-Region replication needs from the pool itself: the Essentials (or Plus) feature plan, which it
   * has, and data encrypted with a multi-Region customer managed key. The L2 UserPool has no key or issuer
   * settings yet, hence the L1 properties. The issuer stays ORIGINAL although AWS recommends UPDATED for
   * replication: API Gateway's REST Cognito authorizer validates both APIs' tokens, and it is not documented
   * to accept the updated issuer; with the original one a replica's tokens name its own region in `iss`, and
   * the secondary's authorizer trusts the replica's ARN in that region. Not verifiable offline (README).
   * https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-multi-region.html
   * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_IssuerConfigurationType.html
   */
  private makeReplicable(): kms.Key {
    const key = new kms.Key(this, 'UserPoolKey', {
      description: 'ToDoMgmt: encrypts the user pool (multi-Region key, replicated to the secondary with the pool)',
      multiRegion: true,
      enableKeyRotation: true,
      // The pool holds app clients only and is DESTROY too; a retained key would outlive what it protects.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(cognitoKeyUseStatement(Stack.of(this).account));
    const cfnPool = this.userPool.node.defaultChild as cognito.CfnUserPool;
    cfnPool.keyConfiguration = { keyType: 'CUSTOMER_MANAGED_KEY', kmsKeyArn: key.keyArn };
    cfnPool.issuerConfiguration = { type: 'ORIGINAL' };
    return key;
  }

  /** The OAuth2 token endpoint (`https://<prefix>-<account>.auth.<region>.amazoncognito.com/oauth2/token`). */
  get tokenUrl(): string {
    return `${this.domain.baseUrl()}/oauth2/token`;
  }

  /** The hosted domain's prefix (the account id appended), which a replica shares. */
  static domainPrefix(configuredPrefix: string): string {
    return `${configuredPrefix}-${Aws.ACCOUNT_ID}`;
  }
}
