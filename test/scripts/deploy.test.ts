// deploy.sh against stub commands and a fake account: order of calls, preflight, resume, dry run, --local.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACCOUNT, PRI, SECD } from './fake/state';
import { DEPLOY_ORDER, deployedIds, MUTATING, Sandbox, type Tool } from './harness';

jest.setTimeout(120_000);

let sandbox: Sandbox;
afterEach(async () => sandbox?.cleanup());

const stackNames = (s: Sandbox) => Object.keys(s.state.stacks).sort();

test('without the outputs, the summary falls back to SSM, the user pool clients and the token URL .env implies', async () => {
  sandbox = await Sandbox.create();
  sandbox.state.cdkApp = sandbox.state.cdkApp.map((s) => (s.name === 'ToDoMgmt-app-pri' ? { ...s, outputs: [] } : s));
  sandbox.options = { ...sandbox.options, failOn: [] };
  const run = await sandbox.run('deploy.sh');
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('API (CloudFront):  (no CloudfrontUrl output on ToDoMgmt-app-pri: see the CloudFormation console)/v1');
  expect(run.stdout).toContain(`Token URL:         https://todomgmt-dev-api-${ACCOUNT}.auth.${PRI}.amazoncognito.com/oauth2/token`);
  expect(run.calls.slice(-3)).toEqual([
    `aws ssm get-parameter --name /todomgmt/pri/user-pool-id --region ${PRI} --output json`,
    `aws cognito-idp list-user-pool-clients --user-pool-id us-east-1_Pool123 --region ${PRI} --output json`,
    `aws cloudformation describe-stacks --stack-name ToDoMgmt-app-secd --region ${SECD} --output json`,
  ]);
  expect(run.stdout).toContain('--user-pool-id us-east-1_Pool123 --client-id client123');
});

test('deploys in order: preflight, npm ci, build, tests, synth, stack check, the seven stacks; then prints how to use it', async () => {
  sandbox = await Sandbox.create();
  const run = await sandbox.run('deploy.sh');
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);

  const significant = run.calls.filter((c) => !c.startsWith('aws cloudformation describe-stacks --stack-name ToDoMgmt'));
  expect(significant.slice(0, 11)).toEqual([
    'node --version',
    sandbox.describeAppCall,
    `aws sts get-caller-identity --region ${PRI} --output json`,
    `aws codecommit get-repository --repository-name ToDoMgmtRepo --region ${PRI} --output json`,
    `aws cloudformation describe-stacks --stack-name CDKToolkit --region ${PRI} --output json`,
    `aws cloudformation describe-stacks --stack-name CDKToolkit --region ${SECD} --output json`,
    'npm ci --no-audit --no-fund',
    'npm run build',
    'npm run test:nodb',
    'npx cdk synth --quiet',
    'npx cdk list --app cdk.out --long --json',
  ]);
  expect(deployedIds(run.calls)).toEqual(DEPLOY_ORDER);
  expect(
    run.calls
      .filter((c) => c.startsWith('npx cdk deploy'))
      .every((c) => c.includes('--app cdk.out') && c.includes('--require-approval never')),
  ).toBe(true);
  expect(run.calls.some((c) => c.includes('bootstrap'))).toBe(false);

  // Progress with elapsed time for each of the 12 steps.
  expect(run.stdout.match(/^==> \[\d+\/12\] /gm)).toHaveLength(12);
  expect(run.stdout.match(/^ {4}done in \d+(m\d\d)?s$/gm)).toHaveLength(12);
  expect(run.stdout).toMatch(/Finished in \d+(m\d\d)?s\./);

  expect(run.stdout).toContain('API (CloudFront):  https://d1example.cloudfront.net/v1');
  expect(run.stdout).toContain(`Token URL:         https://todomgmt-dev-api-${ACCOUNT}.auth.${PRI}.amazoncognito.com/oauth2/token`);
  expect(run.stdout).toContain(
    'aws cognito-idp describe-user-pool-client --user-pool-id us-east-1_Pool123 --client-id client123 ' +
      `--region ${PRI} --query UserPoolClient.ClientSecret --output text`,
  );
  expect(run.stdout).toContain(
    `aws lambda invoke --payload '{"action": "CREATE_TABLE"}' --function-name ToDoMgmt-app-pri-CreateTableFunction ` +
      `--cli-binary-format raw-in-base64-out --region ${PRI} /dev/stdout`,
  );
  expect(run.calls.some((c) => /^aws (ssm|cognito-idp) /.test(c))).toBe(false); // the outputs were enough
  expect(run.stdout).toContain('./local_codecommit_setup.sh');
  expect(run.stdout).toContain(`aws codepipeline start-pipeline-execution --name ToDoMgmt-failover-pri --region ${PRI}`);
  expect(stackNames(sandbox)).toEqual(
    [`${PRI}/CDKToolkit`, `${SECD}/CDKToolkit`, ...sandbox.state.cdkApp.map((s) => `${s.region}/${s.name}`)].sort(),
  );
});

test('with a Cognito replica, the secondary token URL is printed next to the primary one, with when to use it', async () => {
  sandbox = await Sandbox.create();
  const replica = `https://todomgmt-dev-api-${ACCOUNT}.auth.${SECD}.amazoncognito.com/oauth2/token`;
  sandbox.state.cdkApp = sandbox.state.cdkApp.map((s) =>
    s.name === 'ToDoMgmt-app-secd' ? { ...s, outputs: [{ OutputKey: 'TokenUrl', OutputValue: replica }] } : s,
  );
  const run = await sandbox.run('deploy.sh');
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(
    `  Token URL:         https://todomgmt-dev-api-${ACCOUNT}.auth.${PRI}.amazoncognito.com/oauth2/token\n` +
      `  Token URL, ${SECD}: ${replica}\n` +
      `                     (the user pool's replica: same client id and secret; get tokens there while ${PRI} is down)\n` +
      '  Client id:         client123\n',
  );
});

test('without a replica (the default) there is no second token URL', async () => {
  sandbox = await Sandbox.create();
  const run = await sandbox.run('deploy.sh');
  expect(run.status).toBe(0);
  expect(run.stdout).not.toContain(`Token URL, ${SECD}`);
});

describe('the pipeline source: CodeCommit where the account may use it, else a CodeConnections connection', () => {
  const ARN = 'arn:aws:codeconnections:us-east-1:123456789012:connection/aEXAMPLE-8aad-4d5d-8878-dfcab0bc441f';
  const withConnection = (s: Sandbox, status?: 'AVAILABLE' | 'PENDING' | 'ERROR') => {
    fs.appendFileSync(
      path.join(s.project, '.env'),
      `SOURCE_CONNECTION_ARN=${ARN}\nSOURCE_REPOSITORY=my-org/todomgmt\nSOURCE_BRANCH=main\n`,
    );
    if (status) s.state.connections[ARN] = status;
  };
  const refused = (run: { status: number | null; stderr: string; calls: string[] }, pattern: RegExp) => {
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toBe('Preflight found 1 problem(s):');
    expect(lines[1]).toMatch(pattern);
    expect(run.calls.filter((c) => MUTATING.test(c))).toEqual([]);
  };

  test('an account with no CodeCommit repository (closed to new customers) is stopped with the fix: the SOURCE_* keys', async () => {
    sandbox = await Sandbox.create();
    sandbox.state.repositories = [];
    const run = await sandbox.run('deploy.sh', ['--yes']);
    refused(
      run,
      new RegExp(
        `^ {2}- CodeCommit: this account has no repository in ${PRI}, and CodeCommit is closed to new customers \\(creating ToDoMgmtRepo ` +
          'would fail with OperationNotAllowedException\\): build from GitHub, GitLab or Bitbucket instead: create a connection in the ' +
          'console \\(Developer Tools > Settings > Connections\\), approve it, and set SOURCE_CONNECTION_ARN, SOURCE_REPOSITORY and ' +
          'SOURCE_BRANCH in \\.env\\. If your AWS Organization already uses CodeCommit, re-run with TODOMGMT_CODECOMMIT_ALLOWED=1$',
      ),
    );
    expect(run.calls).toContain(`aws codecommit list-repositories --region ${PRI} --output json`);
  });

  test('an existing CodeCommit customer without ToDoMgmtRepo yet may go on; so may an Organization that says so', async () => {
    sandbox = await Sandbox.create();
    sandbox.state.repositories = [`${PRI}/someone-elses-repo`];
    sandbox.options = { ...sandbox.options, failOn: ['npm run build'] };
    const existing = await sandbox.run('deploy.sh');
    expect(existing.stdout).toContain(`CodeCommit: the account has 1 repositories in ${PRI}; the ToDoMgmt stack creates ToDoMgmtRepo`);
    expect(existing.calls).toContain('npm run build');

    sandbox.state.repositories = [];
    const allowed = await sandbox.run('deploy.sh', [], { env: { TODOMGMT_CODECOMMIT_ALLOWED: '1' } });
    expect(allowed.stdout).toContain('TODOMGMT_CODECOMMIT_ALLOWED=1 says your Organization may create one');
    expect(allowed.calls).toContain('npm run build');
  });

  test('CodeCommit that cannot be read: the error, the permissions, and the other way', async () => {
    sandbox = await Sandbox.create();
    sandbox.options = { ...sandbox.options, failOn: ['aws codecommit get-repository'] };
    refused(
      await sandbox.run('deploy.sh', ['--yes']),
      /cannot read CodeCommit in us-east-1 \(stub: failing on request: .*\): retry, or build from GitHub, GitLab or Bitbucket instead/,
    );
  });

  test('with an AVAILABLE connection: no CodeCommit call, the pipeline stack deployed last (a new pipeline runs at once)', async () => {
    sandbox = await Sandbox.create();
    withConnection(sandbox, 'AVAILABLE');
    sandbox.state.repositories = [];
    const run = await sandbox.run('deploy.sh');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.calls).toContain(`aws codeconnections get-connection --connection-arn ${ARN} --region us-east-1 --output json`);
    expect(run.calls.some((c) => c.startsWith('aws codecommit'))).toBe(false);
    expect(run.stdout).toContain('connection todomgmt-github (GitHub): AVAILABLE; the pipeline builds my-org/todomgmt (main)');
    expect(deployedIds(run.calls)).toEqual([...DEPLOY_ORDER.slice(1), 'ToDoMgmt']);
    expect(run.stdout).toContain('  1. push to my-org/todomgmt (main): ToDoMgmtPipeline builds from it (creating it started a first run)');
    expect(run.stdout).not.toContain('local_codecommit_setup.sh');
  });

  test.each([
    [
      'PENDING',
      'PENDING' as const,
      new RegExp(
        'the connection todomgmt-github is PENDING: approve it in the console ' +
          '\\(Developer Tools > Settings > Connections > todomgmt-github > Update pending connection\\), then re-run$',
      ),
    ],
    ['ERROR', 'ERROR' as const, /the connection todomgmt-github is ERROR: fix it, or create a new one, in the console/],
    [
      'missing',
      undefined,
      /the connection arn:aws:codeconnections:\S+ does not exist in this account: create one in the console .* SOURCE_CONNECTION_ARN/,
    ],
  ])('a connection that is %s is refused with what to do', async (_label, status, pattern) => {
    sandbox = await Sandbox.create();
    withConnection(sandbox, status);
    refused(await sandbox.run('deploy.sh', ['--yes']), pattern);
  });
});

describe('preflight: one line per problem with its fix, nothing changed', () => {
  const cases: [string, (s: Sandbox) => void, RegExp[]][] = [
    ['no aws CLI', (s) => s.removeTool('aws'), [/aws CLI not found: install AWS CLI v2/]],
    ['no jq', (s) => s.removeTool('jq'), [/jq not found: install it/]],
    ['no node', (s) => s.removeTool('node'), [/node not found: install Node\.js 20 or newer/]],
    [
      'node 18',
      (s) => (s.options = { ...s.options, nodeVersion: 'v18.19.0' }),
      [/node v18\.19\.0 is too old: Node\.js 20 or newer is required/],
    ],
    [
      'no credentials',
      (s) => (s.state.account = null),
      [/AWS credentials not usable \(Unable to locate credentials\..*\): run 'aws configure' or 'aws sso login', or set AWS_PROFILE/],
    ],
    [
      'credentials for another account',
      (s) => writeEnv(s, 'AWS_ACCOUNT=999999999999'),
      [/your credentials are for account 123456789012 but \.env has AWS_ACCOUNT=999999999999/],
    ],
    ['one region twice', (s) => writeEnv(s, `AWS_DEST_REGION=${PRI}`), [/AWS_SRC_REGION and AWS_DEST_REGION must differ/]],
    // assets/common/config.ts's own words; its hint already names the file.
    ['no secondary region', (s) => writeEnv(s, 'AWS_DEST_REGION='), [/^ {2}- AWS_DEST_REGION is missing: set it in \.env$/]],
    [
      'the description cannot be read',
      (s) => (s.options = { ...s.options, failOn: ['node --require'] }),
      [
        new RegExp(
          'util/scripts/describe-app\\.ts could not read \\.env \\(stub: failing on request: node --require .*\\): ' +
            "run 'npm ci --no-audit --no-fund', then re-run$",
        ),
      ],
    ],
    [
      'several problems at once',
      (s) => {
        s.removeTool('jq');
        s.options = { ...s.options, nodeVersion: 'v16.0.0' };
        writeEnv(s, 'AWS_SRC_REGION=useast1');
      },
      [
        /node v16\.0\.0 is too old/,
        /jq not found/,
        /AWS_SRC_REGION=useast1 is not an AWS region name \(e\.g\. us-east-1\): fix it in \.env/,
      ],
    ],
    [
      'a broken bootstrap stack',
      (s) => (s.state.stacks[`${SECD}/CDKToolkit`].status = 'ROLLBACK_COMPLETE'),
      [
        new RegExp(
          `the CDKToolkit stack in ${SECD} is ROLLBACK_COMPLETE: ` +
            `delete it \\(aws cloudformation delete-stack --stack-name CDKToolkit --region ${SECD}\\) and re-run`,
        ),
      ],
    ],
  ];

  test.each(cases)('%s', async (_label, breakIt, expected) => {
    sandbox = await Sandbox.create();
    breakIt(sandbox);
    const run = await sandbox.run('deploy.sh', ['--yes']);
    expect(run.status).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toBe(`Preflight found ${expected.length} problem(s):`);
    expect(lines.slice(1, -1)).toHaveLength(expected.length);
    for (const pattern of expected) expect(lines.filter((l) => pattern.test(l))).toHaveLength(1);
    expect(lines.at(-1)).toBe('Nothing was changed. Fix the above and re-run.');
    expect(run.calls.filter((c) => MUTATING.test(c))).toEqual([]);
  });
});

function writeEnv(s: Sandbox, line: string): void {
  const file = path.join(s.project, '.env');
  const key = line.split('=')[0];
  const kept = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith(`${key}=`));
  fs.writeFileSync(file, [...kept, line, ''].join('\n'));
}

describe('a fresh checkout (no node_modules): .env is read by TypeScript, which needs the dependencies', () => {
  test('the preflight installs them before it reads .env; the npm ci step does not repeat it', async () => {
    sandbox = await Sandbox.create();
    fs.rmSync(path.join(sandbox.project, 'node_modules'), { recursive: true });
    sandbox.options = { ...sandbox.options, failOn: ['npm run build'] };
    const run = await sandbox.run('deploy.sh');
    expect(run.status).toBe(1);
    expect(run.calls.slice(0, 4)).toEqual([
      'node --version',
      'npm ci --no-audit --no-fund',
      sandbox.describeAppCall,
      `aws sts get-caller-identity --region ${PRI} --output json`,
    ]);
    expect(run.calls.filter((c) => MUTATING.test(c))).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    expect(run.stdout).toContain('installing the dependencies first: .env is read by assets/common/config.ts');
    expect(run.stdout).toMatch(
      /==> \[1\/12\] Install dependencies \(npm ci\)\n {4}installed by the preflight \(node_modules was missing\)\n/,
    );
  });

  test('--dry-run installs nothing: it stops and says what to run', async () => {
    sandbox = await Sandbox.create();
    fs.rmSync(path.join(sandbox.project, 'node_modules'), { recursive: true });
    const run = await sandbox.run('deploy.sh', ['--dry-run']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "  - node_modules is missing and .env is read by assets/common/config.ts, which needs it: run 'npm ci --no-audit --no-fund'",
    );
    expect(run.calls).toEqual(['node --version']);
  });
});

describe('bootstrap', () => {
  const unbootstrapped = async () => {
    sandbox = await Sandbox.create();
    delete sandbox.state.stacks[`${SECD}/CDKToolkit`];
  };

  test('a region without CDKToolkit: asks; "no" stops before anything runs, with the command to run', async () => {
    await unbootstrapped();
    const run = await sandbox.run('deploy.sh', [], { input: 'n\n' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `Region ${SECD} is not bootstrapped for CDK. Bootstrap it (npx cdk bootstrap aws://${ACCOUNT}/${SECD})? [y/N]`,
    );
    expect(run.stderr).toContain(
      `region ${SECD} is not bootstrapped for CDK: run 'npx cdk bootstrap aws://${ACCOUNT}/${SECD}' or re-run ./deploy.sh --yes`,
    );
    expect(run.calls.filter((c) => MUTATING.test(c))).toEqual([]);
  });

  test.each([
    ['answering yes', [], 'y\n'],
    ['--yes', ['--yes'], ''],
  ])('%s bootstraps it after npm ci and before the first deploy', async (_label, args, input) => {
    await unbootstrapped();
    // Stop right after the bootstrap step: the rest is the happy path above.
    sandbox.options = { ...sandbox.options, failOn: ['npm run build'] };
    const run = await sandbox.run('deploy.sh', args, { input });
    expect(run.status).toBe(1);
    const mutating = run.calls.filter((c) => MUTATING.test(c));
    expect(mutating).toEqual(['npm ci --no-audit --no-fund', `npx cdk bootstrap aws://${ACCOUNT}/${SECD}`, 'npm run build']);
    expect(run.stdout).toMatch(/==> \[2\/13\] Bootstrap CDK in us-east-2/);
    expect(sandbox.state.stacks[`${SECD}/CDKToolkit`].status).toBe('CREATE_COMPLETE');
  });

  test('a bootstrap older than version 6 counts as not bootstrapped', async () => {
    sandbox = await Sandbox.create();
    sandbox.state.bootstrapVersion = 4;
    const run = await sandbox.run('deploy.sh', [], { input: '' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`region ${PRI} has a CDK bootstrap older than version 6`);
  });
});

describe('resume and re-run', () => {
  test('a failed deploy stops at that stack; re-running continues and finishes, and a third run changes nothing', async () => {
    sandbox = await Sandbox.create();
    sandbox.options = { ...sandbox.options, failOn: ['cdk deploy --app cdk.out ToDoMgmt/SecdDeploy/ToDoMgmt-infra-secd'] };
    const failed = await sandbox.run('deploy.sh');
    expect(failed.status).not.toBe(0);
    expect(deployedIds(failed.calls)).toEqual(DEPLOY_ORDER.slice(0, 4));
    expect(failed.stderr).toMatch(
      new RegExp(
        'FAILED: step "Deploy ToDoMgmt-infra-secd \\(us-east-2\\)" after \\d+s \\(total \\d+(m\\d\\d)?s\\)\\. ' +
          'Fix the cause and re-run \\./deploy\\.sh: it continues where it stopped\\.',
      ),
    );
    expect(failed.stdout).not.toContain('ToDoMgmt is deployed');
    expect(Object.keys(sandbox.state.stacks)).not.toContain(`${SECD}/ToDoMgmt-infra-secd`);

    // The decision: no status-based skipping. cdk deploy is the idempotent step (an unchanged
    // stack is a no-op), so re-running deploys every stack again and also picks up code changes.
    sandbox.options = { ...sandbox.options, failOn: [] };
    const resumed = await sandbox.run('deploy.sh');
    expect(resumed.status).toBe(0);
    expect(deployedIds(resumed.calls)).toEqual(DEPLOY_ORDER);
    expect(resumed.stdout).toContain('ToDoMgmt-infra-pri (us-east-1): CREATE_COMPLETE, cdk deploys only what changed');
    expect(resumed.stdout).toContain('ToDoMgmt-infra-secd (us-east-2): new stack');
    const afterResume = JSON.stringify(sandbox.state.stacks);

    const again = await sandbox.run('deploy.sh');
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain('new stack');
    expect(Object.keys(sandbox.state.stacks)).toEqual(Object.keys(JSON.parse(afterResume)));
  });

  test.each([
    [
      'UPDATE_ROLLBACK_FAILED',
      'ToDoMgmt-app-pri',
      /run 'aws cloudformation continue-update-rollback --stack-name ToDoMgmt-app-pri --region us-east-1', then re-run \.\/deploy\.sh/,
    ],
    ['UPDATE_IN_PROGRESS', 'ToDoMgmt', /ToDoMgmt in us-east-1 is UPDATE_IN_PROGRESS: wait until it finishes/],
    ['DELETE_FAILED', 'ToDoMgmt', /ToDoMgmt in us-east-1 is DELETE_FAILED: delete it \(\.\/delete\.sh/],
  ])('a stack in %s is not deployed over; the message says what to do', async (status, stack, message) => {
    sandbox = await Sandbox.create();
    sandbox.state.stacks[`${PRI}/${stack}`] = { status };
    const run = await sandbox.run('deploy.sh');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(deployedIds(run.calls)).toEqual(
      DEPLOY_ORDER.slice(0, DEPLOY_ORDER.indexOf(stack === 'ToDoMgmt' ? 'ToDoMgmt' : `ToDoMgmt/PriDeploy/${stack}`)),
    );
  });

  test('an app whose stack names or regions differ from assets/common/stacks.ts is refused before any deploy', async () => {
    sandbox = await Sandbox.create();
    sandbox.state.cdkApp = sandbox.state.cdkApp.map((s) =>
      s.name === 'ToDoMgmt-infra-secd'
        ? { ...s, name: 'SecdDeploy-ToDoMgmt-infra-secd' }
        : s.name === 'ToDoMgmt-failover-secd'
          ? { ...s, region: PRI }
          : s,
    );
    const run = await sandbox.run('deploy.sh');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'the CDK app deploys ToDoMgmt/SecdDeploy/ToDoMgmt-infra-secd as "SecdDeploy-ToDoMgmt-infra-secd us-east-2", ' +
        'expected "ToDoMgmt-infra-secd us-east-2"',
    );
    expect(run.stderr).toContain(
      'the CDK app deploys ToDoMgmt-failover-secd as "ToDoMgmt-failover-secd us-east-1", expected "ToDoMgmt-failover-secd us-east-2"',
    );
    expect(run.stderr).toContain('disagree on 2 stack(s); nothing was deployed');
    expect(deployedIds(run.calls)).toEqual([]);
  });
});

test('--dry-run prints every command in order and runs only read-only queries', async () => {
  sandbox = await Sandbox.create();
  delete sandbox.state.stacks[`${PRI}/CDKToolkit`];
  const before = JSON.stringify(sandbox.state);
  const run = await sandbox.run('deploy.sh', ['--dry-run']);
  expect(run.status).toBe(0);
  expect(run.calls.filter((c) => MUTATING.test(c))).toEqual([]);
  const readOnly = /^(node --version|aws (sts get-caller-identity|cloudformation describe-stacks|codecommit get-repository) )/;
  expect(run.calls.every((c) => readOnly.test(c) || c === sandbox.describeAppCall)).toBe(true);
  const printed = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('[dry-run] '))
    .map((l) => l.slice('[dry-run] '.length));
  expect(printed).toEqual([
    'npm ci --no-audit --no-fund',
    `npx cdk bootstrap aws://${ACCOUNT}/${PRI}`,
    'npm run build',
    'npm run test:nodb',
    `env AWS_ACCOUNT=${ACCOUNT} npx cdk synth --quiet`,
    "npx cdk list --app cdk.out --long --json  (checks the app's stack ids, names and regions)",
    ...DEPLOY_ORDER.map((id) => `npx cdk deploy --app cdk.out ${id} --require-approval never`),
    'nothing was deployed.',
  ]);
  expect(run.stderr).not.toContain('[y/N]'); // a dry run asks nothing
  expect(JSON.stringify(sandbox.state)).toBe(before);
});

describe('--local', () => {
  test('hands the remaining arguments to the local rehearsal and touches no AWS', async () => {
    sandbox = await Sandbox.create(['npm'] as Tool[]);
    const run = await sandbox.run('deploy.sh', ['--local', 'up', '--yes', '--fresh']);
    expect(run.status).toBe(0);
    expect(run.calls).toEqual(['npm run local -- up --yes --fresh']);
  });

  test('installs dependencies first when node_modules is missing; --dry-run only prints', async () => {
    sandbox = await Sandbox.create(['npm'] as Tool[]);
    fs.rmSync(path.join(sandbox.project, 'node_modules'), { recursive: true });
    const dry = await sandbox.run('deploy.sh', ['--dry-run', '--local']);
    expect(dry.calls).toEqual([]);
    expect(dry.stdout).toBe('[dry-run] npm ci --no-audit --no-fund\n[dry-run] npm run local --\n');
    const run = await sandbox.run('deploy.sh', ['--local']);
    expect(run.status).toBe(0);
    expect(run.calls).toEqual(['npm ci --no-audit --no-fund', 'npm run local --']);
  });
});
