import { CfnResource, RemovalPolicy, Stack, type StackProps, Stage, Tags, Validations } from 'aws-cdk-lib';
import { PATH_METADATA_KEY } from 'aws-cdk-lib/cx-api';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { acknowledgeWildcards, arnOf, codeBuildWildcards, KMS_DATA_KEY_ACTIONS, S3_OBJECT_ACTIONS } from './constructs/acknowledge';
import type { AppConfig } from '#config';
import { APP_NAME, PIPELINE_NAME, REGION_ROLES, type RegionRole, REPOSITORY_BRANCH, REPOSITORY_NAME, STAGE_IDS } from '#names';
import { FAILOVER_STAGE_ID } from '#stacks';
import { RegionStage } from './region-stage';

export interface PipelineStackProps extends StackProps {
  readonly config: AppConfig;
  /**
   * Adds the failover stacks to the scope it is given: the pipeline deploys them in a stage after SecdDeploy.
   * The same builder makes the top-level `ToDoMgmt-failover` and `ToDoMgmt-failover-secd`, so both copies
   * synthesize the same templates under the same CloudFormation stack names (see `#stacks`).
   * @default - the pipeline deploys only the two regions
   */
  readonly failoverStacks?: (scope: Construct) => void;
}

/** On every resource of the app (cost allocation, finding what belongs to it). */
export const APPLICATION_TAG = { key: 'application', value: APP_NAME } as const;

/** Node.js version of every CodeBuild step (the same major as the functions). */
export const CODEBUILD_NODE_VERSION = '22';
export const CODEBUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0;

/** What the synth step runs: install, type-check, the tests that need no database, synthesize. */
export const SYNTH_COMMANDS = [
  // The script tests include a shellcheck pass; the CodeBuild image has no shellcheck.
  'command -v shellcheck >/dev/null || (apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null)',
  'npm ci --no-audit --no-fund',
  'npm run build',
  'npm run test:nodb',
  'npx cdk synth',
];

/**
 * `ToDoMgmt`: the self-mutating CDK pipeline that deploys the primary region (`PriDeploy`), then the
 * secondary (`SecdDeploy`), then both failover pipelines (`FailoverDeploy`), and the repository it builds
 * from: the CodeCommit repository `ToDoMgmtRepo` it creates, or, with the `SOURCE_*` keys, a GitHub, GitLab
 * or Bitbucket repository through a CodeConnections connection (then nothing of CodeCommit is created).
 * A push updates the pipeline itself first, then every stack.
 */
export class PipelineStack extends Stack {
  /** undefined when the pipeline builds from a connection. */
  readonly repository?: codecommit.Repository;
  readonly pipeline: pipelines.CodePipeline;
  readonly stages: Readonly<Record<RegionRole, RegionStage>>;
  /** The failover stacks as the pipeline deploys them; undefined without `failoverStacks`. */
  readonly failoverStage?: Stage;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;

    let input: pipelines.CodePipelineSource;
    if (config.source.kind === 'connection') {
      // The connection must be AVAILABLE (approved in the console) before the source action can use it.
      input = pipelines.CodePipelineSource.connection(config.source.repository, config.source.branch, {
        connectionArn: config.source.connectionArn,
      });
    } else {
      this.repository = new codecommit.Repository(this, 'Repository', {
        repositoryName: REPOSITORY_NAME,
        description: 'ToDoMgmt: the CDK app, the functions and the failover program',
      });
      // A copy of the working tree that local_codecommit_setup.sh pushes (the checkout is the source of
      // truth): it goes with the stack, so that delete.sh leaves nothing that would block a new deploy.
      this.repository.applyRemovalPolicy(RemovalPolicy.DESTROY);
      input = pipelines.CodePipelineSource.codeCommit(this.repository, REPOSITORY_BRANCH);
    }

    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: PIPELINE_NAME,
      pipelineType: codepipeline.PipelineType.V2,
      // Artifacts cross into the secondary region: encrypt them with customer keys (rotated) in both.
      crossAccountKeys: true,
      enableKeyRotation: true,
      selfMutation: true,
      // One asset-publishing project instead of one per asset: fewer roles, and the same speed at this size.
      publishAssetsInParallel: false,
      synth: new pipelines.ShellStep('Synth', {
        input,
        commands: SYNTH_COMMANDS,
      }),
      codeBuildDefaults: {
        buildEnvironment: { buildImage: CODEBUILD_IMAGE, computeType: codebuild.ComputeType.MEDIUM },
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          phases: { install: { 'runtime-versions': { nodejs: CODEBUILD_NODE_VERSION } } },
        }),
      },
    });

    const stages = {} as Record<RegionRole, RegionStage>;
    for (const regionRole of REGION_ROLES) {
      stages[regionRole] = new RegionStage(this, STAGE_IDS[regionRole], {
        regionRole,
        config,
        env: { account: this.account, region: config.regions[regionRole] },
      });
      // Stages run in order: the secondary joins a global database the primary stage created.
      this.addStage(stages[regionRole]);
    }
    this.stages = stages;

    if (props.failoverStacks) {
      // After SecdDeploy: the failover stacks read what both regions publish in SSM. Their copy of the
      // failover program (an S3 asset in each region's bootstrap bucket) is published by the pipeline's
      // Assets stage like the functions' code; both regions already have an artifact store.
      this.failoverStage = new Stage(this, FAILOVER_STAGE_ID);
      props.failoverStacks(this.failoverStage);
      recordTopLevelPaths(this.failoverStage);
      this.addStage(this.failoverStage);
    }

    // Build now rather than at synthesis, so the acknowledgements below find the constructs.
    this.pipeline.buildPipeline();
    if (config.source.kind === 'connection') allowConnection(this.pipeline, config.source.connectionArn);
    acknowledgePipelineFindings(this, this.pipeline);
  }

  private addStage(stage: Stage): void {
    // addStage synthesizes the stage at once, and the app's aspects never reach into a nested stage: tag it
    // first, so that its stacks carry the tag, and its failover stacks equal the top-level ones.
    Tags.of(stage).add(APPLICATION_TAG.key, APPLICATION_TAG.value);
    this.pipeline.addStage(stage);
  }
}

/**
 * Makes the stage's stacks byte for byte the templates of their top-level twins, so that the pipeline and
 * `cdk deploy ToDoMgmt-failover` find nothing to change after each other. The one difference is the construct
 * path CDK records in each resource's Metadata (`aws:cdk:path`), and a change of Metadata alone is still a
 * change set entry (CloudFormation API Reference, ResourceTargetDefinition: Attribute `Metadata`): record the
 * top-level path, the same resource's other name.
 */
function recordTopLevelPaths(stage: Stage): void {
  const prefix = `${stage.node.path}/`;
  for (const resource of stage.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c))) {
    if (resource.getMetadata(PATH_METADATA_KEY) !== undefined)
      resource.addMetadata(PATH_METADATA_KEY, resource.node.path.slice(prefix.length));
  }
}

/**
 * CDK grants the source action `codestar-connections:UseConnection`, but IAM matches an action to a resource
 * only under the same service prefix, and connections made since July 2024 have `codeconnections` ARNs
 * (Developer Tools console user guide, "Identity and access management for AWS CodeStar Notifications and AWS
 * CodeConnections"). No grant method exists for this, hence the statement.
 */
function allowConnection(pipeline: pipelines.CodePipeline, connectionArn: string): void {
  const service = connectionArn.split(':')[2];
  if (service === 'codestar-connections') return;
  // The role CodePipeline creates for the one action of the Source stage.
  const role = pipeline.pipeline.node
    .findChild('Source')
    .node.findAll()
    .find((c): c is iam.Role => c instanceof iam.Role);
  if (!role) throw new Error('the CodeConnections source action has no role to grant UseConnection to');
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [`${service}:UseConnection`], resources: [connectionArn] }));
}

function acknowledgePipelineFindings(stack: Stack, pipeline: pipelines.CodePipeline): void {
  const artifacts = `${arnOf(pipeline.pipeline.artifactBucket)}/*`;
  const replicationBuckets = Object.values(pipeline.pipeline.crossRegionSupport).map(
    (support) => `arn:<AWS::Partition>:s3:::${stack.resolve(support.replicationBucket.bucketName)}/*`,
  );
  acknowledgeWildcards(
    pipeline,
    {
      actions: [...S3_OBJECT_ACTIONS, ...KMS_DATA_KEY_ACTIONS],
      resources: [
        '*',
        artifacts,
        ...replicationBuckets,
        // The self-mutation step assumes the CDK bootstrap roles (cdk-*-deploy-role-*, ...) to deploy and look up.
        `arn:*:iam::${stack.account}:role/*`,
        `arn:<AWS::Partition>:logs:${stack.region}:${stack.account}:log-group:/aws/codebuild/*`,
        `arn:<AWS::Partition>:codebuild:${stack.region}:${stack.account}:report-group/*`,
        ...codeBuildWildcards(pipeline.synthProject),
        ...codeBuildWildcards(pipeline.selfMutationProject),
      ],
    },
    'Generated by CDK Pipelines: artifact objects and log streams are named at run time, the artifact keys are used ' +
      'through their key policies, and self-mutation assumes the CDK bootstrap roles, whose names carry the qualifier.',
  );
  for (const support of Object.values(pipeline.pipeline.crossRegionSupport)) {
    Validations.of(support.stack).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'CDK Pipelines replication bucket: carries build artifacts into the secondary region, nothing else.',
    });
  }
  Validations.of(pipeline.pipeline.artifactBucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'Pipeline artifact bucket (KMS-encrypted, private): short-lived build artifacts; CloudTrail records access.',
  });
}
