import { Match, type Template } from 'aws-cdk-lib/assertions';
import { failoverIamActionList } from '#failover/aws/iam-actions';
import { FAILOVER_PIPELINE_NAME, PIPELINE_NAME, REPOSITORY_BRANCH, REPOSITORY_NAME, STACK_NAMES, STAGE_IDS } from '#names';
import { FAILOVER_STAGE_ID, PIPELINE_FAILOVER_STACKS } from '#stacks';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { loadConfig } from '#config';
import { buildToDoMgmtApp } from '../../lib/todo-mgmt-app';
import { SYNTH_COMMANDS } from '../../lib/pipeline-stack';
import { cdkJsonContext, removeOutdir, type SynthesizedApp, synthApp, TEST_ENV } from './synth-app';

interface PipelineStage {
  Name: string;
  Actions: {
    Name: string;
    ActionTypeId: { Category: string; Provider: string };
    RunOrder?: number;
    Region?: string;
    Configuration?: Record<string, unknown>;
  }[];
}

/** The `SOURCE_*` keys of a GitHub repository through a connection made in the console (codeconnections ARN). */
const CONNECTION_ENV = {
  SOURCE_CONNECTION_ARN: 'arn:aws:codeconnections:us-east-1:111111111111:connection/aEXAMPLE-8aad-4d5d-8878-dfcab0bc441f',
  SOURCE_REPOSITORY: 'my-org/todomgmt',
  SOURCE_BRANCH: 'release/v2',
};

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
    // A copy of what local_codecommit_setup.sh pushed: it goes with the stack (explicitly).
    pipeline.hasResource('AWS::CodeCommit::Repository', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
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

  test('updates itself, then deploys PriDeploy, then SecdDeploy, then both failover stacks', () => {
    const names = stagesOf(pipeline).map((stage) => stage.Name);
    expect(names).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', STAGE_IDS.pri, STAGE_IDS.secd, FAILOVER_STAGE_ID]);
    const deployedStacks = (stage: string) =>
      stagesOf(pipeline)
        .find((s) => s.Name === stage)!
        .Actions.filter((action) => action.Name.endsWith('.Deploy'))
        .map((action) => `${String(action.Configuration?.StackName)} ${action.Region ?? 'us-east-1'}`);
    expect(deployedStacks(STAGE_IDS.pri)).toEqual(['ToDoMgmt-infra-pri us-east-1', 'ToDoMgmt-app-pri us-east-1']);
    expect(deployedStacks(STAGE_IDS.secd)).toEqual(['ToDoMgmt-infra-secd us-east-2', 'ToDoMgmt-app-secd us-east-2']);
    // The failover stacks under the names users and deploy.sh know, each in its own region.
    expect(deployedStacks(FAILOVER_STAGE_ID).sort()).toEqual([
      `${STACK_NAMES.failover} us-east-1`,
      `${STACK_NAMES.failoverSecd} us-east-2`,
    ]);
  });

  test("the pipeline's failover stacks are the top-level ones: same stack names, regions and templates", () => {
    const copies = synthesized.stacks.pipeline.failoverStage!.node.children.filter((c): c is Stack => 'stackName' in c);
    expect(copies.map((s) => `${s.node.path} ${s.stackName} ${s.region}`).sort()).toEqual(
      PIPELINE_FAILOVER_STACKS.map((s) => `${s.id} ${s.name} ${s.regionRole === 'pri' ? 'us-east-1' : 'us-east-2'}`).sort(),
    );
    // The application tag reaches the stage stacks too (aspects do not cross into a nested stage by themselves).
    expect(JSON.stringify(synthesized.template(copies[0]).toJSON())).toContain('"Key":"application","Value":"ToDoMgmt"');
  });
});

test('synthesized as the CDK CLI does (paths in Metadata, CDKMetadata), the copies equal the top-level stacks byte for byte', () => {
  // What the CLI adds to the context of every synth; without it templates carry no construct paths at all.
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-paths-'));
  try {
    const context = {
      ...cdkJsonContext(),
      'aws:cdk:bundling-stacks': [],
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:version-reporting': true,
    };
    const app = new App({ outdir, context });
    buildToDoMgmtApp(app, loadConfig(TEST_ENV));
    const assembly = app.synth();
    const template = (id: string) => assembly.stacksRecursively.find((s) => s.hierarchicalId === id)!.template as object;
    for (const stack of PIPELINE_FAILOVER_STACKS) {
      const top = template(stack.name);
      expect(JSON.stringify(top)).toContain(`"aws:cdk:path":"${stack.name}/`);
      // Neither deploy undoes the other: CloudFormation would list a Metadata change as a change too.
      expect(template(stack.id)).toEqual(top);
    }
    // The stage stacks around them do carry their stage paths (the rewrite is the failover stage's only).
    expect(JSON.stringify(template('ToDoMgmt/PriDeploy/ToDoMgmt-infra-pri'))).toContain('"aws:cdk:path":"ToDoMgmt/PriDeploy/');
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});

describe.each(['pri', 'secd'] as const)('failover pipeline (%s)', (regionRole) => {
  const template = () => failover[regionRole];

  test('V2 pipeline: Source → Plan (dry run) → Approve → Failover, with mode, target region and traffic method as variables', () => {
    template().hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Name: FAILOVER_PIPELINE_NAME(regionRole),
      PipelineType: 'V2',
      Variables: [
        Match.objectLike({ Name: 'FAILOVER_MODE', DefaultValue: 'switchover' }),
        Match.objectLike({ Name: 'TARGET_REGION', DefaultValue: 'us-east-2' }),
        Match.objectLike({ Name: 'TRAFFIC_METHOD', DefaultValue: 'kvs' }),
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
        expect.objectContaining({ name: 'FAILOVER_TRAFFIC', value: '#{variables.TRAFFIC_METHOD}' }),
      ]),
    );
    expect(envOf(stages[3])).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'FAILOVER_DRY_RUN', value: 'false' }),
        expect.objectContaining({ name: 'FAILOVER_TRAFFIC', value: '#{variables.TRAFFIC_METHOD}' }),
      ]),
    );
    expect(String(stages[2].Actions[0].Configuration!.CustomData)).toContain('#{variables.TARGET_REGION}');
  });

  test('CodeBuild runs the bundled program with node: no install phase, no npm, no ts-node; keeps the JSON report', () => {
    const [project] = Object.values(template().findResources('AWS::CodeBuild::Project'));
    const spec = JSON.parse(project.Properties.Source.BuildSpec);
    expect(Object.keys(spec.phases)).toEqual(['build']);
    expect(project.Properties.Source.BuildSpec).not.toMatch(/\bnpm\b|\bnpx\b|ts-node|runtime-versions/);
    const build = spec.phases.build.commands.join('\n');
    const program = 'node --enable-source-maps failover.js';
    expect(build).toContain(
      `${program} --yes --mode "$FAILOVER_MODE" --to "$FAILOVER_TO" --traffic "$FAILOVER_TRAFFIC" --report failover-report.json`,
    );
    expect(build).toContain(`${program} --dry-run --mode "$FAILOVER_MODE" --to "$FAILOVER_TO" --traffic "$FAILOVER_TRAFFIC"`);
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
    // The KeyValueStore and the user pool (both regions: the replica shares the pool's id) are the ones published in SSM.
    const kvs = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('cloudfront-keyvaluestore:')));
    expect(kvs.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'cloudfront-keyvaluestore:DeleteKey',
      'cloudfront-keyvaluestore:DescribeKeyValueStore',
      'cloudfront-keyvaluestore:GetKey',
      'cloudfront-keyvaluestore:PutKey',
    ]);
    expect(JSON.stringify(kvs.map((s) => s.Resource))).toMatch(/^\[\{"Ref":"SsmParameterValue[^"]*kvsarn/i);
    const cognito = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('cognito-idp:')));
    expect(cognito.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'cognito-idp:ListUserPoolReplicas',
      'cognito-idp:UpdateUserPoolReplica',
    ]);
    for (const region of ['us-east-1', 'us-east-2']) {
      expect(JSON.stringify(cognito)).toMatch(new RegExp(`:cognito-idp:${region}:111111111111:userpool/",\\{"Ref":"SsmParameterValue`));
    }
    expect(text).not.toMatch(/"Action":"(rds|cloudfront|cloudfront-keyvaluestore|cognito-idp|ssm):\*"/);
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

describe('with a CodeConnections source (SOURCE_* in .env)', () => {
  let connected: SynthesizedApp;
  // synthApp() throws on any unacknowledged cdk-nag finding or template error: this synthesis is also that check.
  beforeAll(() => (connected = synthApp({ bundle: false, env: CONNECTION_ENV })));
  afterAll(() => removeOutdir(connected));

  test('no CodeCommit repository: the pipeline builds the branch of the GitHub, GitLab or Bitbucket repository', () => {
    const template = connected.template(connected.stacks.pipeline);
    template.resourceCountIs('AWS::CodeCommit::Repository', 0);
    template.resourceCountIs('AWS::Events::Rule', 0);
    const source = stagesOf(template)[0].Actions[0];
    expect(source.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'CodeStarSourceConnection' });
    expect(source.Configuration).toEqual({
      ConnectionArn: CONNECTION_ENV.SOURCE_CONNECTION_ARN,
      FullRepositoryId: CONNECTION_ENV.SOURCE_REPOSITORY,
      BranchName: CONNECTION_ENV.SOURCE_BRANCH,
    });
    expect(stagesOf(template).map((s) => s.Name)).toEqual(stagesOf(pipeline).map((s) => s.Name));
  });

  test("the source action may use the connection under its ARN's service prefix (codeconnections), and the old one", () => {
    const statements = Object.values(connected.template(connected.stacks.pipeline).findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const using = statements.filter((s) => [s.Action].flat().some((a) => a.endsWith(':UseConnection')));
    expect(using.flatMap((s) => [s.Action].flat()).sort()).toEqual(['codeconnections:UseConnection', 'codestar-connections:UseConnection']);
    expect(using.map((s) => s.Resource)).toEqual([CONNECTION_ENV.SOURCE_CONNECTION_ARN, CONNECTION_ENV.SOURCE_CONNECTION_ARN]);
  });

  test('an older codestar-connections ARN gets exactly the action CDK grants', () => {
    const arn = 'arn:aws:codestar-connections:us-east-1:111111111111:connection/7d2469ff-514a-4e4f-9003-5ca4a43cdc41';
    const old = synthApp({ bundle: false, env: { ...CONNECTION_ENV, SOURCE_CONNECTION_ARN: arn } });
    try {
      const text = JSON.stringify(old.template(old.stacks.pipeline).toJSON());
      expect(text.match(/"[a-z-]+:UseConnection"/g)).toEqual(['"codestar-connections:UseConnection"']);
      expect(text).toContain(arn);
    } finally {
      removeOutdir(old);
    }
  });

  test('the primary failover pipeline then runs from its own S3 copy of the program, like the secondary', () => {
    const template = connected.template(connected.stacks.failover.pri);
    const source = stagesOf(template)[0].Actions[0];
    expect(source.ActionTypeId.Provider).toBe('S3');
    expect(JSON.stringify(source.Configuration)).toContain('cdk-hnb659fds-assets-111111111111-us-east-1');
    expect(JSON.stringify(template.toJSON()).toLowerCase()).not.toContain('codecommit');
  });
});
