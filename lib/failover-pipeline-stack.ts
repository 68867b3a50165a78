import * as path from 'node:path';
import * as fs from 'node:fs';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { AppConfig } from '#config';
import { acknowledgeWildcards, arnOf, codeBuildWildcards, S3_OBJECT_ACTIONS } from './constructs/acknowledge';
import { failoverBuildStatements } from './constructs/failover-build-policy';
import { CODEBUILD_IMAGE, CODEBUILD_NODE_VERSION } from './pipeline-stack';
import {
  clusterId,
  FAILOVER_PIPELINE_NAME,
  REGION_ROLES,
  type RegionRole,
  REPOSITORY_BRANCH,
  REPOSITORY_NAME,
  ssmParameterName,
} from '#names';
import { keptSnapshotPrefix, UNPLANNED_SNAPSHOT_PREFIX } from '../assets/failover/src/aws/snapshot-names';

/** Where the failover program's sources come from. */
export type FailoverSource =
  /** The primary's CodeCommit repository (what the article uses). */
  | { readonly kind: 'codecommit' }
  /**
   * A copy of the program published with this stack to the region's CDK bootstrap bucket: nothing in
   * another region is needed to run it, so the secondary's pipeline works while the primary region is down.
   */
  | { readonly kind: 'asset' };

export interface FailoverPipelineStackProps extends StackProps {
  /** Region the pipeline runs in. */
  readonly regionRole: RegionRole;
  readonly config: AppConfig;
  readonly source: FailoverSource;
}

/** Repository files and folders the failover program needs at run time (the `asset` source ships only these). */
export const FAILOVER_SOURCE_PATHS = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  '.env',
  'assets/common',
  'assets/lambda/src/routes.ts',
  'assets/failover',
];

const REPO_ROOT = path.join(__dirname, '..');
const REPORT_FILE = 'failover-report.json';

/**
 * `ToDoMgmt-failover` (primary) and `ToDoMgmt-failover-secd` (secondary): Source → Plan (dry run) →
 * Approve → Failover. Mode and target region are pipeline variables chosen at "Release change"; every id
 * the program needs it reads from SSM under /todomgmt, so nothing is edited in the console.
 */
export class FailoverPipelineStack extends Stack {
  readonly pipeline: codepipeline.Pipeline;
  readonly project: codebuild.PipelineProject;

  constructor(scope: Construct, id: string, props: FailoverPipelineStackProps) {
    super(scope, id, props);
    const { regionRole, config } = props;

    const mode = new codepipeline.Variable({
      variableName: 'FAILOVER_MODE',
      defaultValue: config.failoverMode,
      description: 'switchover (planned, no data loss) | failover (region down, may lose the last writes) | detach',
    });
    const target = new codepipeline.Variable({
      variableName: 'TARGET_REGION',
      defaultValue: config.regions.secd,
      description: `Region that becomes the writer: ${config.regions.secd} to fail over, ${config.regions.pri} to fail back`,
    });

    this.project = new codebuild.PipelineProject(this, 'FailoverProject', {
      description: 'Runs the ToDoMgmt failover program (npm run failover)',
      environment: { buildImage: CODEBUILD_IMAGE, computeType: codebuild.ComputeType.SMALL },
      timeout: Duration.minutes(90),
      environmentVariables: {
        FAILOVER_MODE: { value: config.failoverMode },
        FAILOVER_TO: { value: config.regions.secd },
        FAILOVER_DRY_RUN: { value: 'false' },
      },
      logging: {
        cloudWatch: {
          logGroup: new logs.LogGroup(this, 'FailoverLogs', {
            retention: logs.RetentionDays.ONE_YEAR,
            // Kept after the stack goes: the record of what a failover did.
            removalPolicy: RemovalPolicy.RETAIN,
          }),
        },
      },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { shell: 'bash' },
        phases: {
          install: {
            'runtime-versions': { nodejs: CODEBUILD_NODE_VERSION },
            commands: ['npm ci --no-audit --no-fund'],
          },
          build: {
            commands: [
              'echo "mode=$FAILOVER_MODE to=$FAILOVER_TO dry-run=$FAILOVER_DRY_RUN"',
              'if [ "$FAILOVER_DRY_RUN" = "true" ]; then' +
                ' npx ts-node --transpile-only assets/failover/src/cli.ts' +
                ` --dry-run --mode "$FAILOVER_MODE" --to "$FAILOVER_TO" --report ${REPORT_FILE};` +
                ' else npx ts-node --transpile-only assets/failover/src/cli.ts' +
                ` --yes --mode "$FAILOVER_MODE" --to "$FAILOVER_TO" --report ${REPORT_FILE}; fi`,
            ],
            finally: [`cat ${REPORT_FILE} 2>/dev/null || echo "no report written"`],
          },
        },
        artifacts: { files: [REPORT_FILE] },
      }),
    });
    for (const statement of failoverBuildStatements(this, {
      regions: config.regions,
      distributionId: ssm.StringParameter.valueForStringParameter(this, ssmParameterName(regionRole, 'distribution-id')),
    })) {
      this.project.addToRolePolicy(statement);
    }

    const sourceOutput = new codepipeline.Artifact('Source');
    const planOutput = new codepipeline.Artifact('Plan');
    const reportOutput = new codepipeline.Artifact('Report');
    const runEnv = (dryRun: boolean): Record<string, codebuild.BuildEnvironmentVariable> => ({
      FAILOVER_MODE: { value: mode.reference() },
      FAILOVER_TO: { value: target.reference() },
      FAILOVER_DRY_RUN: { value: String(dryRun) },
    });

    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: FAILOVER_PIPELINE_NAME(regionRole),
      pipelineType: codepipeline.PipelineType.V2,
      variables: [mode, target],
      restartExecutionOnUpdate: false,
      artifactBucket: new s3.Bucket(this, 'Artifacts', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: true,
        lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
        // Holds the failover reports: keep them.
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      stages: [
        { stageName: 'Source', actions: [this.sourceAction(props.source, sourceOutput)] },
        {
          stageName: 'Plan',
          actions: [
            new actions.CodeBuildAction({
              actionName: 'DryRun',
              project: this.project,
              input: sourceOutput,
              outputs: [planOutput],
              environmentVariables: runEnv(true),
            }),
          ],
        },
        {
          stageName: 'Approve',
          actions: [
            new actions.ManualApprovalAction({
              actionName: 'ApproveFailover',
              additionalInformation:
                `Approving makes ${target.reference()} the writer region with mode ${mode.reference()} ` +
                '(switchover: planned, waits for replication, no data loss; failover: the old primary is unreachable, ' +
                'recent writes may be lost; detach: the target leaves the global database). ' +
                'The Plan stage log lists every step and the current state of both regions.',
              externalEntityLink:
                `https://${this.region}.console.aws.amazon.com/codesuite/codebuild/projects/` +
                `${this.project.projectName}/history?region=${this.region}`,
              timeout: Duration.hours(4),
            }),
          ],
        },
        {
          stageName: 'Failover',
          actions: [
            new actions.CodeBuildAction({
              actionName: 'Failover',
              project: this.project,
              input: sourceOutput,
              outputs: [reportOutput],
              environmentVariables: runEnv(false),
            }),
          ],
        },
      ],
    });

    this.acknowledgeFindings(config);
  }

  private sourceAction(source: FailoverSource, output: codepipeline.Artifact): codepipeline.IAction {
    if (source.kind === 'codecommit') {
      return new actions.CodeCommitSourceAction({
        actionName: 'CodeCommit',
        repository: codecommit.Repository.fromRepositoryName(this, 'Repository', REPOSITORY_NAME),
        branch: REPOSITORY_BRANCH,
        output,
        // A failover runs only when someone releases it, never on a push.
        trigger: actions.CodeCommitTrigger.NONE,
      });
    }
    // Copies just the program's files (walking the whole repository, node_modules included, takes seconds);
    // the asset hash is the hash of that copy, so the bucket object changes exactly when the program does.
    const asset = new s3assets.Asset(this, 'FailoverProgram', {
      path: path.join(REPO_ROOT, 'assets', 'failover'),
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
        local: { tryBundle: (outputDir) => copyFailoverSources(outputDir) },
      },
    });
    return new actions.S3SourceAction({
      actionName: 'FailoverProgram',
      bucket: asset.bucket,
      bucketKey: asset.s3ObjectKey,
      output,
      trigger: actions.S3Trigger.NONE,
    });
  }

  private acknowledgeFindings(config: AppConfig): void {
    const regions = [config.regions.pri, config.regions.secd];
    const artifacts = `${arnOf(this.pipeline.artifactBucket)}/*`;
    acknowledgeWildcards(
      this.project,
      {
        actions: S3_OBJECT_ACTIONS,
        resources: [
          '*',
          ...regions.flatMap((region) => [
            `arn:<AWS::Partition>:rds:${region}:${this.account}:db-proxy:prx-*`,
            `arn:<AWS::Partition>:rds:${region}:${this.account}:target-group:prx-tg-*`,
            `arn:<AWS::Partition>:ssm:${region}:${this.account}:parameter/todomgmt/*`,
          ]),
          ...REGION_ROLES.flatMap((role) => {
            const snapshots = `arn:<AWS::Partition>:rds:${config.regions[role]}:${this.account}:cluster-snapshot`;
            return [
              `${snapshots}:${UNPLANNED_SNAPSHOT_PREFIX}${clusterId(role)}-*`,
              `${snapshots}:${keptSnapshotPrefix(clusterId(role))}*`,
            ];
          }),
          ...codeBuildWildcards(this.project),
          artifacts,
        ],
      },
      'As narrow as IAM allows: RDS Proxy and target-group ids are generated (prx-*), the published ids live under ' +
        '/todomgmt/*, cloudwatch:GetMetricData has no resource-level permissions, the snapshots Aurora takes of an old ' +
        'primary and their copies carry a timestamp (one prefix per cluster), and CodeBuild log streams, reports ' +
        'and artifact objects are named at run time.',
    );
    acknowledgeWildcards(
      this.pipeline,
      { actions: S3_OBJECT_ACTIONS, resources: [artifacts] },
      'Generated by CodePipeline for the artifact objects of each execution, whose keys are only known at run time.',
    );
    Validations.of(this.pipeline.artifactBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Holds the source snapshot and failover reports of this pipeline only; CloudTrail records who touches it.',
    });
    Validations.of(this.project).acknowledge({
      id: 'AwsSolutions-CB4',
      reason: 'The build reads and writes no secrets; its only output is the failover report in an encrypted, private bucket.',
    });
  }
}

function copyFailoverSources(outputDir: string): boolean {
  for (const relative of FAILOVER_SOURCE_PATHS) {
    fs.cpSync(path.join(REPO_ROOT, relative), path.join(outputDir, relative), {
      recursive: true,
      filter: (source) => !source.split(path.sep).includes('node_modules'),
    });
  }
  return true;
}
