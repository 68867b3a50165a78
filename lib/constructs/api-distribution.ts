import { Duration, RemovalPolicy, type SecretValue, Validations } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { API_STAGE_NAME } from '#names';
import { executeApiDomainName } from './todo-api';

/** A name of your own for the distribution, with its ACM certificate (in us-east-1, where CloudFront reads them). */
export interface ApiCustomDomain {
  readonly domainName: string;
  readonly certificate: acm.ICertificate;
}

export interface ApiDistributionProps {
  /**
   * The configured origin: the primary's API. The viewer-request function overrides it per request while the
   * KeyValueStore names another API; the failover program's origin-swap fallback rewrites it.
   */
  readonly api: apigateway.IRestApi;
  /**
   * Lets the distribution refuse TLS below 1.2, which the default certificate cannot.
   * @default - the distribution's own `*.cloudfront.net` name and certificate
   */
  readonly customDomain?: ApiCustomDomain;
  /**
   * The viewer-request function that picks the origin per request (EdgeOriginSelector).
   * @default - none: every request goes to the configured origin
   */
  readonly viewerRequestFunction?: cloudfront.IFunction;
  /**
   * Days the access logs are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * ARN of a CloudFront-scope AWS WAF web ACL (created in us-east-1).
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * A header CloudFront adds to every origin request, whose value the regional APIs' web ACLs require. The value
   * must be a dynamic reference (`SecretValue.secretsManager`), so the template holds only the reference.
   * @default - no such header
   */
  readonly originVerifyHeader?: { readonly name: string; readonly value: SecretValue };
}

/**
 * A fixed origin id, the name the console and the failover report show. The failover program's origin-swap
 * fallback finds the origin by its host (either region's API domain), not by this id, and swaps only that host.
 */
export const API_ORIGIN_ID = 'ToDoMgmtApi';

/**
 * The single public entry point. It never caches (every answer depends on the caller's token and the
 * current writer region) and forwards the viewer's request to the API of the active region: the one the
 * viewer-request function reads from the KeyValueStore, else the configured origin (see README, "The edge").
 */
export class ApiDistribution extends Construct {
  readonly distribution: cloudfront.Distribution;
  /** CloudFront standard logging (legacy) to S3: one object per log batch, under `cloudfront/`. */
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ApiDistributionProps) {
    super(scope, id);

    const retentionDays = props.accessLogRetentionDays ?? 90;
    // Standard logging (legacy) needs a bucket with ACLs enabled: CloudFront grants its log-delivery account
    // write access through the bucket ACL. SSE-S3 because the delivery cannot use an SSE-KMS key without a key
    // policy for it. https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(retentionDays) }],
      // The record of who called the API: kept if the stack goes (delete.sh empties and deletes it explicitly).
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the access logs themselves; logging its own accesses would log the log delivery.',
    });

    const customHeaders = props.originVerifyHeader && { [props.originVerifyHeader.name]: props.originVerifyHeader.value.unsafeUnwrap() };
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'ToDoMgmt API (active-passive): origin is the active region',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL,
      domainNames: props.customDomain ? [props.customDomain.domainName] : undefined,
      certificate: props.customDomain?.certificate,
      // Only a custom certificate lets CloudFront enforce a minimum; the default *.cloudfront.net one cannot.
      minimumProtocolVersion: props.customDomain ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      enableLogging: true,
      logBucket: this.accessLogs,
      logFilePrefix: 'cloudfront/',
      // Cookies carry nothing this API reads; keeping them out of the logs keeps session data out of S3.
      logIncludesCookies: false,
      webAclId: props.webAclArn,
      defaultBehavior: {
        origin: new origins.HttpOrigin(executeApiDomainName(props.api), {
          originId: API_ORIGIN_ID,
          // The stage is the origin path, so viewers call `https://<distribution>/v1` as in the article.
          originPath: `/${API_STAGE_NAME}`,
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          readTimeout: Duration.seconds(30),
          // Sent to either region's API: updateRequestOrigin() keeps the configured origin's custom headers.
          customHeaders,
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        // CloudFront forwards `Authorization` only if it is in the cache key (impossible with caching
        // disabled) or through this managed policy; a custom origin request policy may not list it. It
        // also forwards the query string (`?id=1`). The viewer's Host is dropped because API Gateway routes
        // on its own host name.
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: true,
        functionAssociations: props.viewerRequestFunction && [
          { function: props.viewerRequestFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
        ],
      },
    });

    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'The API serves callers anywhere; access is controlled by OAuth tokens, not by country.',
    });
    if (!props.webAclArn) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason: 'AWS WAF is opt-in (cost): set WAF=true in .env for a web ACL with managed rules and a rate limit.',
      });
    }
    if (!props.customDomain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'No custom domain configured, so viewers get the default *.cloudfront.net certificate whose TLS policy CloudFront fixes; ' +
          'set CLOUDFRONT_DOMAIN_NAME and CLOUDFRONT_CERTIFICATE_ARN to enforce TLS 1.2+. CloudFront talks TLS 1.2 to the API.',
      });
    }
  }
}
