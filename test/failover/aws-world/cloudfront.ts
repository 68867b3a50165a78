// The CloudFront distribution: one, global (never down), with ETag-conditional updates that take a
// while to deploy.
import { GetDistributionCommand, GetDistributionConfigCommand, UpdateDistributionCommand } from '@aws-sdk/client-cloudfront';
import { ACCOUNT, DISTRIBUTION_ID, EDGE_DOMAIN, fault } from './fixtures';
import { route, type Route } from './route';
import type { AwsWorldState } from './state';

const checkId = (id: string | undefined) => {
  if (id !== DISTRIBUTION_ID) throw fault('NoSuchDistribution', 'The specified distribution does not exist.');
};

/** The fields every Distribution answer carries. */
const summary = (world: AwsWorldState) => ({
  Id: DISTRIBUTION_ID,
  ARN: `arn:aws:cloudfront::${ACCOUNT}:distribution/${DISTRIBUTION_ID}`,
  DomainName: EDGE_DOMAIN,
  InProgressInvalidationBatches: 0,
  LastModifiedTime: new Date(world.clock.now()),
});

export const cloudfrontRoutes = (world: AwsWorldState): Route[] => [
  route(GetDistributionCommand).answer((input) => {
    checkId(input.Id);
    return {
      ETag: `E${world.etag}`,
      Distribution: {
        ...summary(world),
        Status: world.clock.now() >= world.deployedAt ? 'Deployed' : 'InProgress',
        DistributionConfig: structuredClone(world.distribution),
      },
    };
  }),

  route(GetDistributionConfigCommand).answer((input) => {
    checkId(input.Id);
    return { ETag: `E${world.etag}`, DistributionConfig: structuredClone(world.distribution) };
  }),

  route(UpdateDistributionCommand).answer((input) => {
    checkId(input.Id);
    if (world.etagConflicts > 0) {
      world.etagConflicts--;
      world.distribution.Comment = `${world.distribution.Comment} (edited by someone else)`;
      world.etag++;
    }
    if (input.IfMatch !== `E${world.etag}`) {
      throw fault('PreconditionFailed', 'The precondition given in one or more of the request-header fields evaluated to false.', {
        $metadata: { httpStatusCode: 412 },
      });
    }
    world.distribution = structuredClone(input.DistributionConfig!);
    world.etag++;
    world.deployedAt = world.clock.now() + world.durations.deploy;
    return {
      ETag: `E${world.etag}`,
      Distribution: { ...summary(world), Status: 'InProgress', DistributionConfig: structuredClone(world.distribution) },
    };
  }),
];
