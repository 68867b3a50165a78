// Which origin of the distribution carries the API, and a copy of the config with only its host changed.
import type { DistributionConfig, Origin } from '@aws-sdk/client-cloudfront';
import { FailoverError } from '../errors';

export class OriginNotFoundError extends FailoverError {
  constructor(distributionId: string, origins: readonly Origin[], knownDomains: readonly string[]) {
    const list = origins.map((o) => `${o.Id}=${o.DomainName}`).join(', ') || 'none';
    super(
      `CloudFront distribution ${distributionId} has no origin that is one of the regions' APIs ` +
        `(looked for ${knownDomains.join(' or ') || 'an execute-api host of either region'}; origins: ${list}). ` +
        'Check CLOUDFRONT_DISTRIBUTION_ID, or the api-domain SSM parameters the app stacks publish.',
      'user',
    );
    this.name = 'OriginNotFoundError';
  }
}

/**
 * The API origin is the one whose host is either region's API domain. When a domain is unknown (the old
 * primary's region is down and its parameters unreadable) fall back to the single API Gateway host of
 * either region, so an unplanned failover still finds it; anything ambiguous is refused.
 */
export function findApiOrigin(
  distributionId: string,
  config: DistributionConfig,
  knownDomains: readonly string[],
  regions: readonly string[],
): Origin {
  const origins = config.Origins?.Items ?? [];
  const known = new Set(knownDomains.map((d) => d.toLowerCase()));
  const exact = origins.filter((o) => known.has((o.DomainName ?? '').toLowerCase()));
  if (exact.length === 1) return exact[0];
  if (exact.length === 0) {
    const apiHosts = origins.filter((o) =>
      regions.some((region) => (o.DomainName ?? '').toLowerCase().endsWith(`.execute-api.${region}.amazonaws.com`)),
    );
    if (apiHosts.length === 1) return apiHosts[0];
  }
  throw new OriginNotFoundError(distributionId, origins, knownDomains);
}

/** A deep copy of `config` in which only the given origin's DomainName differs. */
export function withOriginDomain(config: DistributionConfig, originId: string, domainName: string): DistributionConfig {
  const copy = structuredClone(config);
  const origin = copy.Origins?.Items?.find((o) => o.Id === originId);
  if (!origin) throw new FailoverError(`origin ${originId} vanished from the distribution config`, 'system');
  origin.DomainName = domainName;
  return copy;
}
