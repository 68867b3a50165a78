import * as path from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
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
import { CODEBUILD_IMAGE } from './pipeline-stack';
import {
  clusterId,
  DEFAULT_TRAFFIC_METHOD,
  FAILOVER_PIPELINE_NAME,
  REGION_ROLES,
  type RegionRole,
  ssmParameterName,
  TRAFFIC_METHODS,
} from '#names';
import { bundleFailoverProgram, FAILOVER_NODE_COMMAND } from '../assets/failover/bundling';
import { keptSnapshotPrefix, UNPLANNED_SNAPSHOT_PREFIX } from '../assets/failover/src/aws/snapshot-names';

export interface FailoverPipelineStackProps extends StackProps {
  /** Region the pipeline runs in. */
  readonly regionRole: RegionRole;
  readonly config: AppConfig;
}

const REPORT_FILE = 'failover-report.json';
/** What both runs pass: the pipeline variables, as the program's flags. */
const RUN_ARGS = `--mode "$FAILOVER_MODE" --to "$FAILOVER_TO" --traffic "$FAILOVER_TRAFFIC" --report ${REPORT_FILE}`;

/**
 * `ToDoMgmt-failover` (primary) and `ToDoMgmt-failover-secd` (secondary): Source → Plan (dry run) →
 * Approve → Failover. Mode and target region are pipeline variables chosen at "Release change"; every id
 * the program needs it reads from SSM under /todomgmt, so nothing is edited in the console. The source is
 * the program bundled at synth (one file, the AWS SDK inside) in the region's own CDK bootstrap bucket:
 * the job runs it with `node`, needs no registry and nothing in the other region.
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

    const traffic = new codepipeline.Variable({
      variableName: 'TRAFFIC_METHOD',
      defaultValue: DEFAULT_TRAFFIC_METHOD,
      description:
        `${TRAFFIC_METHODS.join(' | ')}: kvs writes the edge's KeyValueStore key (data plane, seconds); ` +
        "origin-swap changes the distribution's origin (CloudFront's control plane in us-east-1, minutes)",
    });

    this.project = new codebuild.PipelineProject(this, 'FailoverProject', {
      description: 'Runs the ToDoMgmt failover program (its bundle, with node)',
      environment: { buildImage: CODEBUILD_IMAGE, computeType: codebuild.ComputeType.SMALL },
      timeout: Duration.minutes(90),
      environmentVariables: {
        // The bundle has no .env: the deployed regions come from here.
        AWS_SRC_REGION: { value: config.regions.pri },
        AWS_DEST_REGION: { value: config.regions.secd },
        FAILOVER_MODE: { value: config.failoverMode },
        FAILOVER_TO: { value: config.regions.secd },
        FAILOVER_TRAFFIC: { value: DEFAULT_TRAFFIC_METHOD },
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
      // No install phase: nothing is installed at failover time (the image's own Node.js runs the bundle;
      // the program checks it is 20 or later). The report records the time to the first AWS call.
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { shell: 'bash' },
        phases: {
          build: {
            commands: [
              'node --version',
              'echo "mode=$FAILOVER_MODE to=$FAILOVER_TO traffic=$FAILOVER_TRAFFIC dry-run=$FAILOVER_DRY_RUN"',
              'if [ "$FAILOVER_DRY_RUN" = "true" ]; then' +
                ` ${FAILOVER_NODE_COMMAND} --dry-run ${RUN_ARGS};` +
                ` else ${FAILOVER_NODE_COMMAND} --yes ${RUN_ARGS}; fi`,
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
      kvsArn: ssm.StringParameter.valueForStringParameter(this, ssmParameterName(regionRole, 'kvs-arn')),
      userPoolId: ssm.StringParameter.valueForStringParameter(this, ssmParameterName(regionRole, 'user-pool-id')),
    })) {
      this.project.addToRolePolicy(statement);
    }

    const sourceOutput = new codepipeline.Artifact('Source');
    const planOutput = new codepipeline.Artifact('Plan');
    const reportOutput = new codepipeline.Artifact('Report');
    const runEnv = (dryRun: boolean): Record<string, codebuild.BuildEnvironmentVariable> => ({
      FAILOVER_MODE: { value: mode.reference() },
      FAILOVER_TO: { value: target.reference() },
      FAILOVER_TRAFFIC: { value: traffic.reference() },
      FAILOVER_DRY_RUN: { value: String(dryRun) },
    });

    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: FAILOVER_PIPELINE_NAME(regionRole),
      pipelineType: codepipeline.PipelineType.V2,
      variables: [mode, target, traffic],
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
        { stageName: 'Source', actions: [this.sourceAction(sourceOutput)] },
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

  /** The bundle as an asset of this stack: published to this region's bootstrap bucket, released by hand only. */
  private sourceAction(output: codepipeline.Artifact): codepipeline.IAction {
    const asset = new s3assets.Asset(this, 'FailoverProgram', {
      path: path.join(__dirname, '..', 'assets', 'failover'),
      // The hash of the bundle itself: the object changes exactly when the program does.
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
        local: {
          tryBundle: (outputDir) => {
            bundleFailoverProgram(outputDir);
            return true;
          },
        },
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
