import { CfnOutput } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type { Construct } from 'constructs';
import { ApiDistribution } from './constructs/api-distribution';
import { EdgeOriginSelector } from './constructs/edge-origin-selector';
import { OAuthUserPool } from './constructs/oauth-user-pool';
import type { ToDoApi } from './constructs/todo-api';
import { EdgeWebAcl, OriginVerifySecret } from './constructs/web-acls';
import { AppStack, type AppStackProps } from './app-stack';
import { EDGE_ORIGIN_KEY, ORIGIN_VERIFY_HEADER, originVerifySecretName } from '#names';

/**
 * `ToDoMgmt-app-pri`: the functions and the API, plus what exists once for the whole system: the user
 * pool both regions' APIs trust, and the CloudFront distribution with the viewer-request function and the
 * KeyValueStore that choose the active region's API.
 */
export class PrimaryAppStack extends AppStack {
  readonly oauth: OAuthUserPool;
  readonly api: ToDoApi;
  readonly edge: ApiDistribution;
  readonly originSelector: EdgeOriginSelector;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props, 'pri');
    const { config } = props;

    this.oauth = new OAuthUserPool(this, 'OAuth', {
      domainPrefix: config.cognitoDomainPrefix,
      deletionProtection: config.db.deletionProtection,
      replicable: config.cognitoReplica,
    });
    this.parameters.publish({ 'user-pool-id': this.oauth.userPool.userPoolId, 'user-pool-arn': this.oauth.userPool.userPoolArn });
    if (this.oauth.encryptionKey) this.parameters.publish({ 'user-pool-key-arn': this.oauth.encryptionKey.keyArn });
    new CfnOutput(this, 'UserPoolId', { value: this.oauth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.oauth.client.userPoolClientId });
    new CfnOutput(this, 'TokenUrl', {
      value: this.oauth.tokenUrl,
      description: 'POST grant_type=client_credentials here for an access token',
    });

    // WAF=true (config.ts allows it only with this stack in us-east-1, where CloudFront-scope web ACLs live).
    const originVerify =
      config.waf &&
      new OriginVerifySecret(this, 'OriginVerify', { secretName: originVerifySecretName, replicaRegion: config.regions.secd });
    const edgeWebAcl = config.waf && new EdgeWebAcl(this, 'EdgeWebAcl', { rateLimitPer5Minutes: config.waf.rateLimitPer5Minutes });

    this.api = this.createApi(config, [this.oauth.userPool], originVerify?.headerValue);

    this.originSelector = new EdgeOriginSelector(this, 'EdgeOrigin', {
      regions: [config.regions.pri, config.regions.secd],
      functionName: `${this.stackName}-edge-origin`,
    });
    this.edge = new ApiDistribution(this, 'Edge', {
      api: this.api.api,
      customDomain: config.edgeDomain && {
        domainName: config.edgeDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'EdgeCertificate', config.edgeDomain.certificateArn),
      },
      viewerRequestFunction: this.originSelector.function,
      accessLogRetentionDays: config.edgeLogRetentionDays,
      webAclArn: edgeWebAcl?.webAcl.attrArn,
      originVerifyHeader: originVerify ? { name: ORIGIN_VERIFY_HEADER, value: originVerify.headerValue } : undefined,
    });
    const { distribution } = this.edge;
    const edgeDomain = config.edgeDomain?.domainName ?? distribution.distributionDomainName;
    this.parameters.publish({
      'distribution-id': distribution.distributionId,
      'edge-domain': edgeDomain,
      'kvs-arn': this.originSelector.store.keyValueStoreArn,
    });
    new CfnOutput(this, 'CloudfrontUrl', { value: distribution.distributionDomainName });
    if (config.edgeDomain) {
      new CfnOutput(this, 'ApiDomainName', {
        value: config.edgeDomain.domainName,
        description: 'Point a CNAME (or a Route 53 alias) for this name at the CloudfrontUrl',
      });
    }
    new CfnOutput(this, 'CloudfrontDistributionId', { value: distribution.distributionId });
    new CfnOutput(this, 'EdgeKeyValueStoreArn', {
      value: this.originSelector.store.keyValueStoreArn,
      description: `The failover's traffic step writes ${EDGE_ORIGIN_KEY} here (CloudFront KeyValueStore data plane)`,
    });
    new CfnOutput(this, 'EdgeAccessLogsBucket', { value: this.edge.accessLogs.bucketName, description: 'CloudFront access logs' });
  }
}
