import { Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import type { AppConfig } from './config';
import { PIPELINE_NAME, REGION_ROLES, REPOSITORY_BRANCH, REPOSITORY_NAME, STAGE_IDS } from './names';
import { RegionStage } from './region-stage';

export interface PipelineStackProps extends StackProps {
  readonly config: AppConfig;
}

/** Node.js version of every CodeBuild step (the same major as the functions). */
export const CODEBUILD_NODE_VERSION = '22';
export const CODEBUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0;

/** What the synth step runs: install, type-check, the tests that need no database, synthesize. */
export const SYNTH_COMMANDS = ['npm ci --no-audit --no-fund', 'npm run build', 'npm run test:nodb', 'npx cdk synth'];

/**
 * `ToDoMgmt`: the CodeCommit repository and the self-mutating CDK pipeline that deploys the primary
 * region (`PriDeploy`) and then the secondary (`SecdDeploy`). Pushing to the repository updates the
 * pipeline itself first, then the four application stacks.
 */
export class PipelineStack extends Stack {
  readonly repository: codecommit.Repository;
  readonly pipeline: pipelines.CodePipeline;
  readonly stages: Readonly<Record<'pri' | 'secd', RegionStage>>;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.repository = new codecommit.Repository(this, 'Repository', {
      repositoryName: REPOSITORY_NAME,
      description: 'ToDoMgmt: the CDK app, the functions and the failover program',
    });

    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: PIPELINE_NAME,
      pipelineType: codepipeline.PipelineType.V2,
      // Artifacts cross into the secondary region: encrypt them with customer keys (rotated) in both.
      crossAccountKeys: true,
      enableKeyRotation: true,
      selfMutation: true,
      synth: new pipelines.ShellStep('Synth', {
        input: pipelines.CodePipelineSource.codeCommit(this.repository, REPOSITORY_BRANCH),
        commands: SYNTH_COMMANDS,
      }),
      codeBuildDefaults: {
        buildEnvironment: { buildImage: CODEBUILD_IMAGE, computeType: codebuild.ComputeType.MEDIUM },
        partialBuildSpec: codebuild.BuildSpec.fromObject({
          phases: { install: { 'runtime-versions': { nodejs: CODEBUILD_NODE_VERSION } } },
        }),
      },
    });

    const stages = {} as Record<'pri' | 'secd', RegionStage>;
    for (const role of REGION_ROLES) {
      stages[role] = new RegionStage(this, STAGE_IDS[role], {
        role,
        config,
        env: { account: this.account, region: config.regions[role] },
      });
      // Stages run in order: the secondary joins a global database the primary stage created.
      this.pipeline.addStage(stages[role]);
    }
    this.stages = stages;

    // Build now rather than at synthesis, so the acknowledgements below find the constructs.
    this.pipeline.buildPipeline();
    acknowledgePipelineFindings(this.pipeline);
  }
}

function acknowledgePipelineFindings(pipeline: pipelines.CodePipeline): void {
  const acknowledge = (id: string, reason: string) => Validations.of(pipeline).acknowledge({ id, reason });
  acknowledge(
    'AwsSolutions-IAM5',
    'CDK Pipelines generates these roles: wildcards cover the bootstrap roles (cdk-*-deploy/-file-publishing), log streams ' +
      'and artifact objects whose names are only known at run time.',
  );
  acknowledge('AwsSolutions-S1', 'Pipeline artifact buckets hold short-lived build artifacts; CloudTrail records access to them.');
  acknowledge('AwsSolutions-CB4', 'CDK Pipelines CodeBuild projects encrypt artifacts with the pipeline artifact key; build output is not sensitive.');
  acknowledge('AwsSolutions-CB3', 'No privileged mode is used.');
}
