import { Match, type Template } from 'aws-cdk-lib/assertions';
import { failoverIamActionList } from '#failover/aws/iam-actions';
import { FAILOVER_PIPELINE_NAME, PIPELINE_NAME, REPOSITORY_BRANCH, REPOSITORY_NAME, STAGE_IDS } from '#names';
import { SYNTH_COMMANDS } from '../../lib/pipeline-stack';
import { removeOutdir, type SynthesizedApp, synthApp } from './synth-app';

interface PipelineStage {
  Name: string;
  Actions: {
    Name: string;
    ActionTypeId: { Category: string; Provider: string };
    RunOrder?: number;
    Configuration?: Record<string, unknown>;
  }[];
}

let synthesized: SynthesizedApp;
let pipeline: Template;
const failover = {} as Record<'pri' | 'secd', Template>;

beforeAll(() => {
  synthesized = synthApp({ bundle: false });
  pipeline = synthesized.template(synthesized.stacks.pipeline);
  failover.pri = synthesized.template(synthesized.stacks.failover.pri);
  failover.secd = synthesized.template(synthesized.stacks.failover.secd);
});
afterAll(() => removeOutdir(synthesized));

function stagesOf(template: Template): PipelineStage[] {
  const [resource] = Object.values(template.findResources('AWS::CodePipeline::Pipeline'));
  return resource.Properties.Stages;
}

describe('ToDoMgmt (CDK pipeline)', () => {
  test('CodeCommit repository and a V2 pipeline with KMS-encrypted artifacts', () => {
    pipeline.hasResourceProperties('AWS::CodeCommit::Repository', { RepositoryName: REPOSITORY_NAME });
    pipeline.hasResourceProperties('AWS::CodePipeline::Pipeline', { Name: PIPELINE_NAME, PipelineType: 'V2' });
    const [resource] = Object.values(pipeline.findResources('AWS::CodePipeline::Pipeline'));
    const stores = resource.Properties.ArtifactStores as { Region: string; ArtifactStore: { EncryptionKey?: { Type: string } } }[];
    expect(stores.map((store) => store.Region).sort()).toEqual(['us-east-1', 'us-east-2']);
    for (const store of stores) expect(store.ArtifactStore.EncryptionKey?.Type).toBe('KMS');
    pipeline.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('builds from the main branch: shellcheck, install, type-check, the no-database tests, synth', () => {
    expect(SYNTH_COMMANDS.slice(1)).toEqual(['npm ci --no-audit --no-fund', 'npm run build', 'npm run test:nodb', 'npx cdk synth']);
    expect(SYNTH_COMMANDS[0]).toMatch(/apt-get install -y -qq shellcheck/);
    const source = stagesOf(pipeline)[0].Actions[0];
    expect(source.ActionTypeId.Provider).toBe('CodeCommit');
    expect(source.Configuration).toMatchObject({ BranchName: REPOSITORY_BRANCH });
    const builds = Object.values(pipeline.findResources('AWS::CodeBuild::Project')).map((p) => String(p.Properties.Source.BuildSpec));
    expect(builds.some((spec) => SYNTH_COMMANDS.every((command) => spec.includes(command)))).toBe(true);
  });

  test('updates itself, then deploys PriDeploy, then SecdDeploy', () => {
    const names = stagesOf(pipeline).map((stage) => stage.Name);
    expect(names.indexOf('UpdatePipeline')).toBeGreaterThan(names.indexOf('Build'));
    expect(names.indexOf(STAGE_IDS.pri)).toBeGreaterThan(names.indexOf('UpdatePipeline'));
    expect(names.indexOf(STAGE_IDS.secd)).toBeGreaterThan(names.indexOf(STAGE_IDS.pri));
    const deployedStacks = (stage: string) =>
      stagesOf(pipeline)
        .find((s) => s.Name === stage)!
        .Actions.map((action) => action.Configuration?.StackName)
        .filter(Boolean);
    expect(new Set(deployedStacks(STAGE_IDS.pri))).toEqual(new Set(['ToDoMgmt-infra-pri', 'ToDoMgmt-app-pri']));
    expect(new Set(deployedStacks(STAGE_IDS.secd))).toEqual(new Set(['ToDoMgmt-infra-secd', 'ToDoMgmt-app-secd']));
  });
});

describe.each(['pri', 'secd'] as const)('failover pipeline (%s)', (regionRole) => {
  const template = () => failover[regionRole];

  test('V2 pipeline: Source → Plan (dry run) → Approve → Failover, with mode and target region as variables', () => {
    template().hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Name: FAILOVER_PIPELINE_NAME(regionRole),
      PipelineType: 'V2',
      Variables: [
        Match.objectLike({ Name: 'FAILOVER_MODE', DefaultValue: 'switchover' }),
        Match.objectLike({ Name: 'TARGET_REGION', DefaultValue: 'us-east-2' }),
      ],
    });
    const stages = stagesOf(template());
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Plan', 'Approve', 'Failover']);
    const categories = stages.map((s) => s.Actions[0].ActionTypeId.Category);
    expect(categories).toEqual(['Source', 'Build', 'Approval', 'Build']);
    const envOf = (stage: PipelineStage) => JSON.parse(String(stage.Actions[0].Configuration!.EnvironmentVariables));
    expect(envOf(stages[1])).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'FAILOVER_DRY_RUN', value: 'true' }),
        expect.objectContaining({ name: 'FAILOVER_MODE', value: '#{variables.FAILOVER_MODE}' }),
        expect.objectContaining({ name: 'FAILOVER_TO', value: '#{variables.TARGET_REGION}' }),
      ]),
    );
    expect(envOf(stages[3])).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'FAILOVER_DRY_RUN', value: 'false' })]));
    expect(String(stages[2].Actions[0].Configuration!.CustomData)).toContain('#{variables.TARGET_REGION}');
  });

  test('CodeBuild runs the bundled program with node: no install phase, no npm, no ts-node; keeps the JSON report', () => {
    const [project] = Object.values(template().findResources('AWS::CodeBuild::Project'));
    const spec = JSON.parse(project.Properties.Source.BuildSpec);
    expect(Object.keys(spec.phases)).toEqual(['build']);
    expect(project.Properties.Source.BuildSpec).not.toMatch(/\bnpm\b|\bnpx\b|ts-node|runtime-versions/);
    const build = spec.phases.build.commands.join('\n');
    const program = 'node --enable-source-maps failover.js';
    expect(build).toContain(`${program} --yes --mode "$FAILOVER_MODE" --to "$FAILOVER_TO" --report failover-report.json`);
    expect(build).toContain(`${program} --dry-run`);
    expect(spec.artifacts.files).toEqual(['failover-report.json']);
    // The bundle has no .env: the deployed regions are the project's environment.
    expect(project.Properties.Environment.EnvironmentVariables).toEqual(
      expect.arrayContaining([
        { Name: 'AWS_SRC_REGION', Type: 'PLAINTEXT', Value: 'us-east-1' },
        { Name: 'AWS_DEST_REGION', Type: 'PLAINTEXT', Value: 'us-east-2' },
      ]),
    );
  });

  test("the source is the program's bundle in this region's bootstrap bucket, released by hand only", () => {
    const source = stagesOf(template())[0].Actions[0];
    expect(source.ActionTypeId.Provider).toBe('S3');
    expect(source.Configuration).toMatchObject({ PollForSourceChanges: false, S3ObjectKey: expect.stringMatching(/\.zip$/) });
    const region = regionRole === 'pri' ? 'us-east-1' : 'us-east-2';
    expect(JSON.stringify(source.Configuration)).toContain(`cdk-hnb659fds-assets-111111111111-${region}`);
    expect(JSON.stringify(template().toJSON()).toLowerCase()).not.toContain('codecommit');
    template().resourceCountIs('AWS::Events::Rule', 0);
  });

  test('the build role gets exactly the failover actions, on both regions (reading /todomgmt included)', () => {
    const [buildRole] = Object.entries(template().findResources('AWS::IAM::Role')).filter(([id]) => id.startsWith('FailoverProjectRole'));
    expect(buildRole).toBeDefined();
    const statements = Object.values(template().findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(buildRole[0]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Action: string | string[]; Resource: unknown }[]);
    const granted = statements.filter((s) => s.Sid).flatMap((s) => [s.Action].flat());
    expect([...new Set(granted)].sort()).toEqual(failoverIamActionList());
    const text = JSON.stringify(statements);
    for (const region of ['us-east-1', 'us-east-2']) {
      expect(text).toContain(`:rds:${region}:111111111111:cluster:todomgmt-infra-`);
      expect(text).toContain(`:ssm:${region}:111111111111:parameter/todomgmt/*`);
    }
    expect(text).toContain(':rds::111111111111:global-cluster:todomgmt-global-db-cluster');
    // The distribution is the one published in this region's SSM, not every distribution in the account.
    expect(text).toMatch(/cloudfront::111111111111:distribution\/",\{"Ref":"SsmParameterValue/);
    expect(text).not.toMatch(/"Action":"(rds|cloudfront|ssm):\*"/);
    expect(JSON.stringify(template().findResources('AWS::IAM::Role'))).not.toMatch(/FullAccess/);
  });
});

test('the secondary failover pipeline depends on nothing in the primary region', () => {
  // One artifact store in its own region (no cross-region replication), no imports, no stack it waits for.
  failover.secd.hasResourceProperties('AWS::CodePipeline::Pipeline', { ArtifactStore: Match.anyValue(), ArtifactStores: Match.absent() });
  expect(JSON.stringify(failover.secd.toJSON())).not.toContain('Fn::ImportValue');
  expect(synthesized.stacks.failover.secd.dependencies).toEqual([]);
  expect(synthesized.stacks.failover.secd.region).toBe('us-east-2');
});
