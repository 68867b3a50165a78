// The fake account and commands keep the promises of test/scripts/fake/README.md: status transitions,
// what is recorded, the errors it answers with. A wrong fake would otherwise let a script test pass.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { APP_STACKS } from '#stacks';
import { callLine, DESCRIBE_APP, fakeCall, type CallOptions, type Reply } from './fake/fake-commands';
import { ACCOUNT, clusterArn, PRI, SECD, type FakeState } from './fake/state';
import { CDK_APP, deployedState, DOTENV, freshState, REPO, Sandbox } from './harness';

const OPTIONS: CallOptions = { failOn: [], nodeVersion: 'v20.20.2', git: '/usr/bin/git' };
let state: FakeState;
let cwd: string;
beforeEach(() => {
  state = freshState();
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-fake-'));
});
afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

const call = (line: string | string[], options: CallOptions = OPTIONS): Reply => {
  const [name, ...args] = typeof line === 'string' ? line.split(' ') : line;
  return fakeCall(state, options, cwd, name, args);
};
const json = (reply: Reply) => {
  expect(reply).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(reply.stdout || 'null');
};
const awsError = (code: string, op: string) => ({
  code: 254,
  stderr: expect.stringContaining(`An error occurred (${code}) when calling the ${op} operation`),
});
const status = (region: string, name: string) => state.stacks[`${region}/${name}`]?.status ?? 'NONE';
const GLOBAL = 'todomgmt-global-db-cluster';
const removeFromGlobalCluster = (arn: string, region: string) =>
  call(`aws rds remove-from-global-cluster --global-cluster-identifier ${GLOBAL} --db-cluster-identifier ${arn} --region ${region}`);
const deployCall = (id: string) => `npx cdk deploy --app cdk.out ${id} --require-approval never`;
const deleteCall = (region: string, name: string) => `aws cloudformation delete-stack --stack-name ${name} --region ${region}`;

describe('every call', () => {
  test('is recorded as one line, newlines folded', () => {
    expect(callLine('git', ['commit', '-m', 'first\n  second'])).toBe('git commit -m first second');
  });

  test('fails on request, with or without the npx prefix, and then changes nothing', () => {
    const failOn = { ...OPTIONS, failOn: ['cdk deploy'] };
    expect(call(deployCall('ToDoMgmt'), failOn)).toEqual({
      code: 1,
      stdout: '',
      stderr: `stub: failing on request: ${deployCall('ToDoMgmt')}\n`,
    });
    expect(call('npm ci', { ...OPTIONS, failOn: ['npm ci'] }).code).toBe(1);
    expect(status(PRI, 'ToDoMgmt')).toBe('NONE');
  });

  test.each(['aws s3 ls', 'aws cloudformation create-stack --stack-name X', 'npx tsc', 'npx cdk destroy ToDoMgmt'])(
    'an unknown call exits 2: %s',
    (line) => {
      expect(call(line)).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/^stub (aws|npx|cdk): unhandled call: /) });
    },
  );

  test('without credentials every aws call exits 253', () => {
    state.account = null;
    for (const line of [`aws sts get-caller-identity --region ${PRI}`, `aws cloudformation describe-stacks --stack-name CDKToolkit`]) {
      expect(call(line)).toMatchObject({ code: 253, stderr: expect.stringContaining('Unable to locate credentials') });
    }
  });
});

describe('CloudFormation', () => {
  test('describe-stacks: status and outputs; a missing stack "does not exist"; CDKToolkit reports its version', () => {
    expect(call(`aws cloudformation describe-stacks --stack-name ToDoMgmt --region ${PRI}`)).toEqual({
      ...awsError('ValidationError', 'DescribeStacks'),
      stdout: '',
      stderr: expect.stringContaining('Stack with id ToDoMgmt does not exist'),
    });
    const toolkit = json(call(`aws cloudformation describe-stacks --stack-name CDKToolkit --region ${SECD}`)).Stacks[0];
    expect(toolkit).toMatchObject({ StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'BootstrapVersion', OutputValue: '28' }] });
  });

  test('cdk deploy: CREATE_COMPLETE, then UPDATE_COMPLETE whatever the status; its buckets appear empty; unknown ids fail', () => {
    const app = CDK_APP.find((s) => s.name === 'ToDoMgmt-failover')!;
    json(call(deployCall(app.id)));
    expect(status(PRI, app.name)).toBe('CREATE_COMPLETE');
    expect(state.buckets['todomgmt-failover-artifacts']).toEqual({ region: PRI, objects: 0, stackTag: app.name });
    state.stacks[`${PRI}/${app.name}`].status = 'DELETE_FAILED';
    json(call(deployCall(app.id)));
    expect(status(PRI, app.name)).toBe('UPDATE_COMPLETE');
    expect(call(deployCall('Nope'))).toEqual({ code: 1, stdout: '', stderr: 'No stacks match the name(s) Nope\n' });
  });

  test('list-stack-resources: every resource CREATE_COMPLETE; a missing stack is a ValidationError', () => {
    state = deployedState();
    const resources = json(call(`aws cloudformation list-stack-resources --stack-name ToDoMgmt-infra-pri --region ${PRI}`));
    expect(resources.StackResourceSummaries.map((r: { ResourceStatus: string }) => r.ResourceStatus)).toEqual([
      'CREATE_COMPLETE',
      'CREATE_COMPLETE',
    ]);
    expect(call(`aws cloudformation list-stack-resources --stack-name Nope --region ${PRI}`)).toMatchObject(
      awsError('ValidationError', 'ListStackResources'),
    );
  });

  test('delete-stack of a missing stack succeeds; wait then returns 0', () => {
    expect(call(deleteCall(PRI, 'Nope'))).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(call(`aws cloudformation wait stack-delete-complete --stack-name Nope --region ${PRI}`).code).toBe(0);
  });

  test('a bucket it does not retain still holds objects: DELETE_FAILED, nothing deleted, the reason in the events and the waiter', () => {
    state = deployedState();
    json(call(deleteCall(PRI, 'ToDoMgmt')));
    expect(status(PRI, 'ToDoMgmt')).toBe('DELETE_FAILED');
    expect(state.buckets['todomgmt-pipeline-artifacts'].objects).toBe(4);
    const events = json(call(`aws cloudformation describe-stack-events --stack-name ToDoMgmt --region ${PRI}`)).StackEvents;
    expect(events).toEqual([
      expect.objectContaining({ ResourceStatus: 'DELETE_FAILED', ResourceStatusReason: expect.stringMatching(/not empty/) }),
    ]);
    const wait = call(`aws cloudformation wait stack-delete-complete --stack-name ToDoMgmt --region ${PRI}`);
    expect(wait).toMatchObject({ code: 255, stderr: expect.stringContaining('"DELETE_FAILED"') });

    state.buckets['todomgmt-pipeline-artifacts'].objects = 0;
    json(call(deleteCall(PRI, 'ToDoMgmt')));
    expect(status(PRI, 'ToDoMgmt')).toBe('NONE');
    expect(state.buckets['todomgmt-pipeline-artifacts']).toBeUndefined();
    expect(json(call(`aws cloudformation describe-stack-events --stack-name ToDoMgmt --region ${PRI}`)).StackEvents).toEqual([]);
  });

  test('a retained bucket neither blocks the deletion nor goes with it, and keeps its stack tag', () => {
    state = deployedState();
    json(call(deleteCall(PRI, 'ToDoMgmt-failover')));
    expect(status(PRI, 'ToDoMgmt-failover')).toBe('NONE');
    expect(state.buckets['todomgmt-failover-artifacts']).toEqual({ region: PRI, objects: 2345, stackTag: 'ToDoMgmt-failover' });
  });

  test('deleteFailures: that many deletions fail, then it deletes', () => {
    state = deployedState();
    state.stacks[`${SECD}/ToDoMgmt-app-secd`].deleteFailures = 1;
    json(call(deleteCall(SECD, 'ToDoMgmt-app-secd')));
    expect(state.stacks[`${SECD}/ToDoMgmt-app-secd`]).toMatchObject({ status: 'DELETE_FAILED', reason: 'injected failure' });
    json(call(deleteCall(SECD, 'ToDoMgmt-app-secd')));
    expect(status(SECD, 'ToDoMgmt-app-secd')).toBe('NONE');
  });

  test('a cluster still in the global cluster: DELETE_FAILED as RDS says it; out of it, the cluster goes with its stack', () => {
    state = deployedState();
    state.removalLag = 0;
    json(call(deleteCall(SECD, 'ToDoMgmt-infra-secd')));
    expect(state.stacks[`${SECD}/ToDoMgmt-infra-secd`].reason).toMatch(/remove it from globalcluster first/);
    expect(state.clusters[`${SECD}/todomgmt-infra-secd-db-cluster`]).toBeDefined();
    const secd = clusterArn(SECD, 'todomgmt-infra-secd-db-cluster');
    json(removeFromGlobalCluster(secd, SECD));
    json(call(deleteCall(SECD, 'ToDoMgmt-infra-secd')));
    expect(status(SECD, 'ToDoMgmt-infra-secd')).toBe('NONE');
    expect(state.clusters[`${SECD}/todomgmt-infra-secd-db-cluster`]).toBeUndefined();
  });

  test('a global cluster with members left: its clusters go, the stack ends DELETE_FAILED', () => {
    state = deployedState();
    state.globalCluster!.members = state.globalCluster!.members.filter((m) => !m.arn.includes(PRI));
    json(call(deleteCall(PRI, 'ToDoMgmt-infra-pri')));
    expect(state.stacks[`${PRI}/ToDoMgmt-infra-pri`]).toMatchObject({
      status: 'DELETE_FAILED',
      reason: expect.stringMatching(/has members/),
    });
    expect(state.clusters[`${PRI}/todomgmt-infra-pri-db-cluster`]).toBeUndefined();
    expect(state.globalCluster).not.toBeNull();
  });
});

describe('S3 and the tagging API', () => {
  beforeEach(() => (state = deployedState()));
  const bucket = 'todomgmt-failover-artifacts';

  test('list-object-versions: at most --max-items, half versions, half delete markers, NextToken while more are left', () => {
    const page = json(call(`aws s3api list-object-versions --bucket ${bucket} --region ${PRI} --max-items 1000`));
    expect([page.Versions.length, page.DeleteMarkers.length, page.NextToken]).toEqual([500, 500, 'more']);
    state.buckets[bucket].objects = 0;
    expect(call(`aws s3api list-object-versions --bucket ${bucket} --region ${PRI}`).stdout).toBe('{}\n');
    expect(call(`aws s3api list-object-versions --bucket nope --region ${PRI}`)).toMatchObject(
      awsError('NoSuchBucket', 'ListObjectVersions'),
    );
  });

  test("delete-objects reads its file:// body from the caller's directory; over 1000 keys is MalformedXML", () => {
    const body = (n: number) => JSON.stringify({ Objects: Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, VersionId: `v${i}` })) });
    fs.writeFileSync(path.join(cwd, 'ok.json'), body(1000));
    fs.writeFileSync(path.join(cwd, 'big.json'), body(1001));
    json(call(`aws s3api delete-objects --bucket ${bucket} --region ${PRI} --delete file://ok.json`));
    expect(state.buckets[bucket].objects).toBe(1345);
    expect(call(`aws s3api delete-objects --bucket ${bucket} --region ${PRI} --delete file://big.json`)).toMatchObject(
      awsError('MalformedXML', 'DeleteObjects'),
    );
  });

  test('delete-bucket only when empty; head-bucket fails for a missing bucket', () => {
    expect(call(`aws s3api delete-bucket --bucket ${bucket} --region ${PRI}`)).toMatchObject(awsError('BucketNotEmpty', 'DeleteBucket'));
    state.buckets[bucket].objects = 0;
    json(call(`aws s3api delete-bucket --bucket ${bucket} --region ${PRI}`));
    expect(call(`aws s3api delete-bucket --bucket ${bucket} --region ${PRI}`)).toMatchObject(awsError('NoSuchBucket', 'DeleteBucket'));
    expect(call(`aws s3api head-bucket --bucket ${bucket} --region ${PRI}`)).toMatchObject({ code: 254 });
  });

  test('get-resources: the buckets of that region whose stack tag equals the filter', () => {
    const tagged = (region: string, stack: string) =>
      json(
        call(
          `aws resourcegroupstaggingapi get-resources --region ${region} --resource-type-filters s3 ` +
            `--tag-filters Key=aws:cloudformation:stack-name,Values=${stack} --output json`,
        ),
      ).ResourceTagMappingList.map((r: { ResourceARN: string }) => r.ResourceARN);
    expect(tagged(PRI, 'ToDoMgmt-failover')).toEqual([`arn:aws:s3:::${bucket}`]);
    expect(tagged(SECD, 'ToDoMgmt-failover')).toEqual([]);
  });
});

describe('RDS, SSM, CodeCommit', () => {
  const pri = clusterArn(PRI, 'todomgmt-infra-pri-db-cluster');
  const secd = clusterArn(SECD, 'todomgmt-infra-secd-db-cluster');
  const members = () =>
    json(
      call(`aws rds describe-global-clusters --global-cluster-identifier todomgmt-global-db-cluster --region ${PRI}`),
    ).GlobalClusters[0].GlobalClusterMembers.map(
      (m: { DBClusterArn: string; IsWriter: boolean }) => `${m.DBClusterArn}${m.IsWriter ? ' writer' : ''}`,
    );
  beforeEach(() => (state = deployedState('pri')));

  test("remove-from-global-cluster: in the member's region, the writer last; the member stays listed removalLag - 1 times", () => {
    expect(removeFromGlobalCluster(secd, PRI)).toMatchObject(awsError('InvalidParameterValue', 'RemoveFromGlobalCluster'));
    expect(removeFromGlobalCluster(pri, PRI)).toMatchObject(awsError('InvalidGlobalClusterStateFault', 'RemoveFromGlobalCluster'));
    json(removeFromGlobalCluster(secd, SECD));
    expect(state.removalLag).toBe(2);
    expect(members()).toEqual([`${pri} writer`, secd]);
    expect(members()).toEqual([`${pri} writer`]);
    expect(removeFromGlobalCluster(secd, SECD)).toMatchObject(awsError('DBClusterNotFoundFault', 'RemoveFromGlobalCluster'));
  });

  test('delete-global-cluster only without members; then describe says GlobalClusterNotFoundFault', () => {
    const del = () => call(`aws rds delete-global-cluster --global-cluster-identifier todomgmt-global-db-cluster --region ${PRI}`);
    expect(del()).toMatchObject(awsError('InvalidGlobalClusterStateFault', 'DeleteGlobalCluster'));
    state.globalCluster!.members = [];
    json(del());
    expect(state.globalCluster).toBeNull();
    expect(call(`aws rds describe-global-clusters --global-cluster-identifier todomgmt-global-db-cluster --region ${SECD}`)).toMatchObject(
      awsError('GlobalClusterNotFoundFault', 'DescribeGlobalClusters'),
    );
  });

  test('describe-db-clusters, ssm get-parameter, codecommit get-repository: the value, or the error the scripts grep for', () => {
    const cluster = json(call(`aws rds describe-db-clusters --db-cluster-identifier todomgmt-infra-secd-db-cluster --region ${SECD}`));
    expect(cluster.DBClusters[0]).toMatchObject({ DBClusterArn: secd, DeletionProtection: false });
    expect(call(`aws rds describe-db-clusters --db-cluster-identifier todomgmt-infra-secd-db-cluster --region ${PRI}`)).toMatchObject(
      awsError('DBClusterNotFoundFault', 'DescribeDBClusters'),
    );
    expect(json(call(`aws ssm get-parameter --name /todomgmt/pri/user-pool-id --region ${PRI}`)).Parameter.Value).toBe('us-east-1_Pool123');
    expect(call(`aws ssm get-parameter --name /todomgmt/pri/user-pool-id --region ${SECD}`)).toMatchObject(
      awsError('ParameterNotFound', 'GetParameter'),
    );
    json(call(`aws codecommit get-repository --repository-name ToDoMgmtRepo --region ${PRI}`));
    expect(call(`aws codecommit get-repository --repository-name ToDoMgmtRepo --region ${SECD}`)).toMatchObject(
      awsError('RepositoryDoesNotExistException', 'GetRepository'),
    );
  });
  test('codecommit list-repositories: the repositories of that region; an account CodeCommit is closed to has none', () => {
    state.repositories.push(`${PRI}/other`, `${SECD}/elsewhere`);
    const names = (region: string) =>
      json(call(`aws codecommit list-repositories --region ${region} --output json`)).repositories.map(
        (r: { repositoryName: string }) => r.repositoryName,
      );
    expect(names(PRI)).toEqual(['ToDoMgmtRepo', 'other']);
    state.repositories = [];
    expect(json(call(`aws codecommit list-repositories --region ${PRI}`))).toEqual({ repositories: [] });
  });

  test("get-connection: the status, under the ARN's own service (codeconnections or codestar-connections); else not found", () => {
    const arn = 'arn:aws:codeconnections:us-east-1:123456789012:connection/abc';
    const get = (service: string) => call(`aws ${service} get-connection --connection-arn ${arn} --region ${PRI} --output json`);
    expect(get('codeconnections')).toMatchObject(awsError('ResourceNotFoundException', 'GetConnection'));
    state.connections[arn] = 'PENDING';
    expect(json(get('codeconnections')).Connection).toMatchObject({
      ConnectionArn: arn,
      ConnectionStatus: 'PENDING',
      ProviderType: 'GitHub',
    });
    expect(get('codestar-connections')).toMatchObject(awsError('ResourceNotFoundException', 'GetConnection'));
  });

  test('ssm delete-parameter: gone afterwards; a parameter that is not there is ParameterNotFound', () => {
    const del = () => call(`aws ssm delete-parameter --name /todomgmt/pri/user-pool-id --region ${PRI} --cli-connect-timeout 10`);
    expect(del()).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(state.ssm[`${PRI}//todomgmt/pri/user-pool-id`]).toBeUndefined();
    expect(del()).toMatchObject(awsError('ParameterNotFound', 'DeleteParameter'));
  });

  test('an unreachable region, or one service of it: exit 255 as when the CLI cannot connect; other regions answer', () => {
    const unreachable = {
      code: 255,
      stdout: '',
      stderr: `\nCould not connect to the endpoint URL: "https://ssm.${SECD}.amazonaws.com/"\n`,
    };
    state.unreachable = [`ssm:${SECD}`];
    expect(call(`aws ssm get-parameter --name x --region ${SECD}`)).toEqual(unreachable);
    expect(call(`aws rds describe-db-clusters --db-cluster-identifier todomgmt-infra-secd-db-cluster --region ${SECD}`).code).toBe(0);
    state.unreachable = [SECD];
    expect(call(`aws ssm get-parameter --name x --region ${SECD}`)).toEqual(unreachable);
    expect(call(`aws rds describe-db-clusters --db-cluster-identifier todomgmt-infra-secd-db-cluster --region ${SECD}`).code).toBe(255);
    expect(call(`aws ssm get-parameter --name /todomgmt/pri/user-pool-id --region ${PRI}`).code).toBe(0);
  });
});

describe('cdk, npm, node, git', () => {
  test('the fake app is the app: the ids, names and regions of assets/common/stacks.ts', () => {
    expect(CDK_APP.map((s) => `${s.id} ${s.name} ${s.region}`)).toEqual(
      APP_STACKS.map((s) => `${s.id} ${s.name} ${s.regionRole === 'pri' ? PRI : SECD}`),
    );
  });

  test('cdk list prints stage stacks as "<path> (<name>)"; synth writes cdk.out; bootstrap creates CDKToolkit', () => {
    const listing = json(call('npx cdk list --app cdk.out --long --json'));
    expect(listing[0]).toEqual({
      id: 'ToDoMgmt',
      name: 'ToDoMgmt',
      environment: { account: ACCOUNT, region: PRI, name: `aws://${ACCOUNT}/${PRI}` },
    });
    expect(listing[1].id).toBe('ToDoMgmt/PriDeploy/ToDoMgmt-infra-pri (ToDoMgmt-infra-pri)');
    json(call('npx cdk synth --quiet'));
    expect(fs.existsSync(path.join(cwd, 'cdk.out'))).toBe(true);
    delete state.stacks[`${SECD}/CDKToolkit`];
    json(call(`npx cdk bootstrap aws://${ACCOUNT}/${SECD}`));
    expect(status(SECD, 'CDKToolkit')).toBe('CREATE_COMPLETE');
  });

  test('npm and git-remote-codecommit are recorded only: npm ci installs nothing', () => {
    expect(call('npm ci --no-audit --no-fund')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(call('git-remote-codecommit origin codecommit::x')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  test('node --version is the configured version; other node calls and git run the real programs', () => {
    expect(call('node --version', { ...OPTIONS, nodeVersion: 'v18.0.0' }).stdout).toBe('v18.0.0\n');
    expect(call('node -e 1').exec).toEqual([process.execPath, '-e', '1']);
    expect(call(`git clone codecommit::${PRI}://ToDoMgmtRepo x`, { ...OPTIONS, gitRemote: '/tmp/bare.git' }).exec).toEqual([
      '/usr/bin/git',
      'clone',
      '/tmp/bare.git',
      'x',
    ]);
    expect(call(`git push https://git-codecommit.${PRI}.amazonaws.com/v1/repos/ToDoMgmtRepo`).exec).toEqual([
      '/usr/bin/git',
      'push',
      '/nonexistent',
    ]);
  });

  test.each([
    ['a valid .env', DOTENV],
    ['an invalid .env', `${DOTENV}AWS_DEST_REGION=${PRI}\nDB_MAX_CAPACITY=0.1\n`],
  ])('describe-app answers in-process what the real program prints, for %s (.env relative to the caller)', (_label, content) => {
    fs.writeFileSync(path.join(cwd, 'app.env'), content);
    const fake = call(['node', ...DESCRIBE_APP, '--env-file', 'app.env']);
    // The real program, run as common.sh runs it; an empty environment so that nothing overrides .env.
    const real = spawnSync(process.execPath, [...DESCRIBE_APP, '--env-file', path.join(cwd, 'app.env')], {
      cwd: REPO,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(fake).toEqual({ code: real.status, stdout: real.stdout, stderr: real.stderr });
  });
});

test('through the stubs: exit code, stdout and stderr reach the caller byte for byte, and every call is recorded', async () => {
  const sandbox = await Sandbox.create(['aws', 'node']);
  try {
    sandbox.state.stacks[`${PRI}/ToDoMgmt`] = { status: 'CREATE_COMPLETE', outputs: [{ OutputKey: 'Note', OutputValue: 'é—✓\n\ttab' }] };
    const script = [
      `aws cloudformation describe-stacks --stack-name ToDoMgmt --region ${PRI} --output json; echo "rc=$?"`,
      `aws cloudformation describe-stacks --stack-name Nope --region ${PRI} 2>&1; echo "rc=$?"`,
      `node -e 'process.stdout.write("real node")'; echo " rc=$?"`,
    ].join('\n');
    // Not spawnSync: the fake answers on this process's event loop.
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: `${sandbox.bin}:/usr/bin:/bin` } });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    const run = { stdout };
    const [first, ...rest] = run.stdout.split('\nrc=0\n');
    expect(JSON.parse(first).Stacks[0].Outputs[0].OutputValue).toBe('é—✓\n\ttab');
    expect(rest.join('')).toBe(
      '\nAn error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id Nope does not exist\n' +
        'rc=254\nreal node rc=0\n',
    );
    expect(sandbox.calls).toEqual([
      `aws cloudformation describe-stacks --stack-name ToDoMgmt --region ${PRI} --output json`,
      `aws cloudformation describe-stacks --stack-name Nope --region ${PRI}`,
      `node -e process.stdout.write("real node")`,
    ]);
  } finally {
    await sandbox.cleanup();
  }
});
