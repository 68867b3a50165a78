import { Duration, Validations } from 'aws-cdk-lib';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import { Construct } from 'constructs';
import { API_STAGE_NAME } from '#names';
import { executeApiDomainName } from './todo-api';

/** A name of your own for the distribution, with its ACM certificate (in us-east-1, where CloudFront reads them). */
export interface ApiCustomDomain {
  readonly domainName: string;
  readonly certificate: acm.ICertificate;
}

export interface ApiDistributionProps {
  /** The regional API the distribution starts with (the primary's); a failover repoints the origin. */
  readonly api: apigateway.IRestApi;
  /**
   * Lets the distribution refuse TLS below 1.2, which the default certificate cannot.
   * @default - the distribution's own `*.cloudfront.net` name and certificate
   */
  readonly customDomain?: ApiCustomDomain;
}

/**
 * A fixed origin id, the name the console and the failover report show. The failover program finds the
 * origin by its host (either region's API domain), not by this id, and swaps only that host.
 */
export const API_ORIGIN_ID = 'ToDoMgmtApi';

/**
 * The single public entry point. It never caches (every answer depends on the caller's token and the
 * current writer region) and forwards the viewer's request to the API of the active region; a failover
 * changes only the origin's domain name.
 */
export class ApiDistribution extends Construct {
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: ApiDistributionProps) {
    super(scope, id);

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'ToDoMgmt API (active-passive): origin is the active region',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL,
      domainNames: props.customDomain ? [props.customDomain.domainName] : undefined,
      certificate: props.customDomain?.certificate,
      // Only a custom certificate lets CloudFront enforce a minimum; the default *.cloudfront.net one cannot.
      minimumProtocolVersion: props.customDomain ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      defaultBehavior: {
        origin: new origins.HttpOrigin(executeApiDomainName(props.api), {
          originId: API_ORIGIN_ID,
          // The stage is the origin path, so viewers call `https://<distribution>/v1` as in the article.
          originPath: `/${API_STAGE_NAME}`,
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          readTimeout: Duration.seconds(30),
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
      },
    });

    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'The API serves callers anywhere; access is controlled by OAuth tokens, not by country.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason: 'No WAF in the sample (cost); add a web ACL (created in us-east-1) for production traffic.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason: 'Every request reaches the regional API, whose access logs record it; CloudFront logs would duplicate them.',
    });
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
