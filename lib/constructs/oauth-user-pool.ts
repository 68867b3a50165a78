import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { OAUTH_RESOURCE_SERVER, OAUTH_SCOPE_NAME } from '#routes';
import { USER_POOL_NAME } from '#names';

export interface OAuthUserPoolProps {
  /** `COGNITO_DOMAIN_PREFIX`; the account id is appended because hosted domains are global. */
  readonly domainPrefix: string;
  readonly deletionProtection: boolean;
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

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: `${props.domainPrefix}-${Aws.ACCOUNT_ID}` },
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
      accessTokenValidity: Duration.hours(1),
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

  /** The OAuth2 token endpoint (`https://<prefix>-<account>.auth.<region>.amazoncognito.com/oauth2/token`). */
  get tokenUrl(): string {
    return `${this.domain.baseUrl()}/oauth2/token`;
  }
}
