import { CfnOutput } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type { Construct } from 'constructs';
import { ApiDistribution } from './constructs/api-distribution';
import { OAuthUserPool } from './constructs/oauth-user-pool';
import type { ToDoApi } from './constructs/todo-api';
import { AppStack, type AppStackProps } from './app-stack';

/**
 * `ToDoMgmt-app-pri`: the functions and the API, plus what exists once for the whole system: the user
 * pool both regions' APIs trust and the CloudFront distribution in front of the active region's API.
 */
export class PrimaryAppStack extends AppStack {
  readonly oauth: OAuthUserPool;
  readonly api: ToDoApi;
  readonly edge: ApiDistribution;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props, 'pri');
    const { config } = props;

    this.oauth = new OAuthUserPool(this, 'OAuth', {
      domainPrefix: config.cognitoDomainPrefix,
      deletionProtection: config.db.deletionProtection,
    });
    this.parameters.publish({ 'user-pool-id': this.oauth.userPool.userPoolId, 'user-pool-arn': this.oauth.userPool.userPoolArn });
    new CfnOutput(this, 'UserPoolId', { value: this.oauth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.oauth.client.userPoolClientId });
    new CfnOutput(this, 'TokenUrl', {
      value: this.oauth.tokenUrl,
      description: 'POST grant_type=client_credentials here for an access token',
    });

    this.api = this.createApi(this.oauth.userPool);

    this.edge = new ApiDistribution(this, 'Edge', {
      api: this.api.api,
      customDomain: config.edgeDomain && {
        domainName: config.edgeDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'EdgeCertificate', config.edgeDomain.certificateArn),
      },
    });
    const { distribution } = this.edge;
    this.parameters.publish({ 'distribution-id': distribution.distributionId });
    new CfnOutput(this, 'CloudfrontUrl', { value: distribution.distributionDomainName });
    if (config.edgeDomain) {
      new CfnOutput(this, 'ApiDomainName', {
        value: config.edgeDomain.domainName,
        description: 'Point a CNAME (or a Route 53 alias) for this name at the CloudfrontUrl',
      });
    }
    new CfnOutput(this, 'CloudfrontDistributionId', { value: distribution.distributionId });
  }
}
