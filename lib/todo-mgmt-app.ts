import { App, type Environment, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type AppConfig, PLACEHOLDER_ACCOUNT } from '#config';
import type { Construct } from 'constructs';
import { FailoverPipelineStack } from './failover-pipeline-stack';
import { REGION_ROLES, type RegionRole, STACK_NAMES } from '#names';
import { APPLICATION_TAG, PipelineStack } from './pipeline-stack';

export interface ToDoMgmtStacks {
  readonly pipeline: PipelineStack;
  readonly failover: Readonly<Record<RegionRole, FailoverPipelineStack>>;
}

/**
 * The whole system in one app. Top-level stacks (what `cdk deploy <id>` takes):
 *
 * | cdk id                                  | region | what it deploys                                  |
 * |-----------------------------------------|--------|--------------------------------------------------|
 * | ToDoMgmt                                | pri    | CodeCommit repo + self-mutating CDK pipeline (1) |
 * | ToDoMgmt/PriDeploy/ToDoMgmt-infra-pri   | pri    | VPC, KMS, Aurora global database, RDS Proxy      |
 * | ToDoMgmt/PriDeploy/ToDoMgmt-app-pri     | pri    | functions, API, Cognito, CloudFront, table setup |
 * | ToDoMgmt/SecdDeploy/ToDoMgmt-infra-secd | secd   | VPC, KMS, secondary Aurora cluster, RDS Proxy    |
 * | ToDoMgmt/SecdDeploy/ToDoMgmt-app-secd   | secd   | functions, API trusting the primary's user pool  |
 * | ToDoMgmt-failover                       | pri    | failover pipeline (source: bundle, S3 in pri)    |
 * | ToDoMgmt-failover-secd                  | secd   | failover pipeline (source: bundle, S3 in secd)   |
 *
 * (1) With a CodeConnections source (SOURCE_* in .env) no repository: the pipeline builds from GitHub,
 * GitLab or Bitbucket. The failover pipelines never need the repository: each runs the program's bundle.
 * The pipeline deploys the two failover stacks too, after SecdDeploy, as ToDoMgmt/FailoverDeploy/<the same
 * stack names>: other construct paths, the same CloudFormation stacks.
 *
 * Without an account (offline synth, tests) the stacks get PLACEHOLDER_ACCOUNT, which can never be deployed.
 */
export function buildToDoMgmtApp(app: App, config: AppConfig): ToDoMgmtStacks {
  // Every synth (the CLI, the pipeline, the tests) fails on a finding nobody acknowledged with a reason.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const account = config.account ?? PLACEHOLDER_ACCOUNT;
  if (config.account === undefined) settlePlaceholderAvailabilityZones(app, config);
  const env = (regionRole: RegionRole): Environment => ({ account, region: config.regions[regionRole] });

  // One builder for both copies of the failover stacks (top level, and the pipeline's FailoverDeploy stage):
  // same props, so the same templates under the same stack names. No CDKMetadata resource (analyticsReporting):
  // CDK adds it when a stage synthesizes, under the stage's construct path, too late to give it the top-level
  // path as PipelineStack does for every other resource.
  const failoverStacks = (scope: Construct): Record<RegionRole, FailoverPipelineStack> => ({
    pri: new FailoverPipelineStack(scope, STACK_NAMES.failover, {
      stackName: STACK_NAMES.failover,
      analyticsReporting: false,
      env: env('pri'),
      description: 'ToDoMgmt: failover pipeline in the primary region',
      regionRole: 'pri',
      config,
    }),
    secd: new FailoverPipelineStack(scope, STACK_NAMES.failoverSecd, {
      stackName: STACK_NAMES.failoverSecd,
      analyticsReporting: false,
      env: env('secd'),
      description: 'ToDoMgmt: failover pipeline in the secondary region, independent of the primary region',
      regionRole: 'secd',
      config,
    }),
  });

  const pipeline = new PipelineStack(app, STACK_NAMES.pipeline, {
    env: env('pri'),
    description:
      config.source.kind === 'codecommit'
        ? 'ToDoMgmt: CodeCommit repository and the CDK pipeline that deploys both regions'
        : `ToDoMgmt: the CDK pipeline that deploys both regions, building ${config.source.repository} through CodeConnections`,
    config,
    failoverStacks,
  });
  const failover = failoverStacks(app);
  // The pipeline tags its stages itself: aspects do not cross into a nested Stage.
  Tags.of(app).add(APPLICATION_TAG.key, APPLICATION_TAG.value);
  return { pipeline, failover };
}

/**
 * An explicit account makes `ec2.Vpc` ask AWS for the region's availability zones. The placeholder
 * account is never deployed, so it gets three plausible zones per region and synth stays offline.
 * Real accounts are looked up by the CLI once and remembered in cdk.context.json (commit that file:
 * the pipeline's synth step cannot look them up).
 */
function settlePlaceholderAvailabilityZones(app: App, config: AppConfig): void {
  for (const regionRole of REGION_ROLES) {
    const region = config.regions[regionRole];
    const key = `availability-zones:account=${PLACEHOLDER_ACCOUNT}:region=${region}`;
    if (app.node.tryGetContext(key) === undefined)
      app.node.setContext(
        key,
        ['a', 'b', 'c'].map((zone) => `${region}${zone}`),
      );
  }
}
