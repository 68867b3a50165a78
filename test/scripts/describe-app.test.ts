// util/scripts/describe-app.ts: what the scripts know about the app. Its names and stack table are
// those of assets/common (the scripts keep no copy), and it prints config.ts's verdict on .env: the
// config as JSON, or the ConfigError's message naming each key.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig, readEnv } from '#config';
import {
  clusterId,
  FAILOVER_PIPELINE_NAME,
  FAILOVER_RUN_PARAMETER,
  functionName,
  GLOBAL_CLUSTER_ID,
  PIPELINE_NAME,
  REPOSITORY_BRANCH,
  REPOSITORY_NAME,
  SSM_PREFIX,
  STACK_NAMES,
  STAGE_IDS,
} from '#names';
import { type AppDescription, describeAppCli } from '../../util/scripts/describe-app';
import { DOTENV } from './harness';

const CONNECTION_ARN = 'arn:aws:codeconnections:us-east-1:123456789012:connection/aEXAMPLE-8aad-4d5d-8878-dfcab0bc441f';
const CODESTAR_ARN = 'arn:aws:codestar-connections:eu-west-1:123456789012:connection/7d2469ff-514a-4e4f-9003-5ca4a43cdc41';
const SOURCE = `SOURCE_CONNECTION_ARN=${CONNECTION_ARN}\nSOURCE_REPOSITORY=my-org/todomgmt\nSOURCE_BRANCH=release/v2\n`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-describe-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function envFile(label: string, content: string): string {
  const file = path.join(dir, `${label.replace(/\W+/g, '-')}.env`);
  fs.writeFileSync(file, content);
  return file;
}

function described(content: string, label = 'app'): AppDescription {
  const result = describeAppCli(['--env-file', envFile(label, content)], {});
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(result.stdout);
}

describe('names and stacks equal assets/common', () => {
  let app: AppDescription;
  beforeAll(() => (app = described(DOTENV)));

  test('the physical names the scripts look up', () => {
    expect(app.names).toEqual({
      pipeline: PIPELINE_NAME,
      failoverPipelines: { pri: FAILOVER_PIPELINE_NAME('pri'), secd: FAILOVER_PIPELINE_NAME('secd') },
      globalClusterId: GLOBAL_CLUSTER_ID,
      clusterIds: { pri: clusterId('pri'), secd: clusterId('secd') },
      createTableFunction: functionName('pri', 'CreateTableFunction'),
      userPoolIdParameter: `${SSM_PREFIX}/pri/user-pool-id`,
      failoverRunParameter: FAILOVER_RUN_PARAMETER,
    });
  });

  test('the source: CodeCommit by default, else the connection, its repository and branch', () => {
    expect(app.source).toEqual({ kind: 'codecommit', repository: REPOSITORY_NAME, branch: REPOSITORY_BRANCH, region: 'us-east-1' });
    expect(described(`${DOTENV}${SOURCE}`, 'connection').source).toEqual({
      kind: 'connection',
      repository: 'my-org/todomgmt',
      branch: 'release/v2',
      connectionArn: CONNECTION_ARN,
    });
  });

  test("the rehearsal's state directory, LOCAL_STATE_DIR resolved against the .env's directory, and its secret files", () => {
    expect(app.local).toEqual({
      stateDir: path.join(dir, '.local'),
      secretFiles: ['secrets.json', 'token-signing-key.json', 'endpoints.json'],
    });
    expect(described(`${DOTENV}LOCAL_STATE_DIR=rehearsal/state\n`, 'state').local.stateDir).toBe(path.join(dir, 'rehearsal', 'state'));
    expect(described(`${DOTENV}LOCAL_STATE_DIR=/var/tmp/todomgmt\n`, 'abs').local.stateDir).toBe('/var/tmp/todomgmt');
  });

  test('the deploy table is the stack order of the article, with cdk ids built from the stage ids', () => {
    const stage = (role: 'pri' | 'secd', stack: string) => `${STACK_NAMES.pipeline}/${STAGE_IDS[role]}/${stack}`;
    const [pri, secd] = ['us-east-1', 'us-east-2'];
    expect(app.stacks.map((s) => `${s.id}|${s.name}|${s.regionRole}|${s.region}|${s.kind}`)).toEqual([
      `${STACK_NAMES.pipeline}|${STACK_NAMES.pipeline}|pri|${pri}|pipeline`,
      `${stage('pri', STACK_NAMES.infra('pri'))}|${STACK_NAMES.infra('pri')}|pri|${pri}|infra`,
      `${stage('pri', STACK_NAMES.app('pri'))}|${STACK_NAMES.app('pri')}|pri|${pri}|app`,
      `${stage('secd', STACK_NAMES.infra('secd'))}|${STACK_NAMES.infra('secd')}|secd|${secd}|infra`,
      `${stage('secd', STACK_NAMES.app('secd'))}|${STACK_NAMES.app('secd')}|secd|${secd}|app`,
      `${STACK_NAMES.failover}|${STACK_NAMES.failover}|pri|${pri}|failover`,
      `${STACK_NAMES.failoverSecd}|${STACK_NAMES.failoverSecd}|secd|${secd}|failover`,
    ]);
    expect(app.deployOrder).toEqual(app.stacks.map((s) => s.id));
    // A new pipeline runs at once: built from a connection, it would race deploy.sh, so it comes last.
    const connected = described(`${DOTENV}${SOURCE}`, 'connection-order');
    expect(connected.deployOrder).toEqual([...app.deployOrder.slice(1), STACK_NAMES.pipeline]);
    expect(connected.stacks).toEqual(app.stacks);
  });

  test('the teardown order: failover pipelines, secondary, primary, pipeline, its support stack', () => {
    expect(app.teardownOrder.map((s) => `${s.region}/${s.name}|${s.kind}`)).toEqual([
      `us-east-1/${STACK_NAMES.failover}|failover`,
      `us-east-2/${STACK_NAMES.failoverSecd}|failover`,
      `us-east-2/${STACK_NAMES.app('secd')}|app`,
      `us-east-2/${STACK_NAMES.infra('secd')}|infra`,
      `us-east-1/${STACK_NAMES.app('pri')}|app`,
      `us-east-1/${STACK_NAMES.infra('pri')}|infra`,
      `us-east-1/${STACK_NAMES.pipeline}|pipeline`,
      `us-east-2/${STACK_NAMES.pipeline}-support-us-east-2|support`,
    ]);
  });

  test('every key is there for jq: absent optional values print as null', () => {
    expect(app.config.account).toBeNull();
    expect(app.config.edgeDomain).toBeNull();
  });
});

describe('.env: the verdict of assets/common/config.ts, printed', () => {
  const withLine = (key: string, line: string) =>
    DOTENV.split('\n')
      .filter((l) => !l.startsWith(`${key}=`))
      .concat(line)
      .join('\n');
  const cases: [string, string][] = [
    ['the committed example', DOTENV],
    ['a quoted region with a comment', withLine('AWS_SRC_REGION', 'AWS_SRC_REGION="eu-west-1" # Ireland')],
    ['a gov region', withLine('AWS_DEST_REGION', "AWS_DEST_REGION='us-gov-west-1'")],
    ['a 12-digit account', withLine('AWS_ACCOUNT', 'AWS_ACCOUNT=123456789012')],
    ['a region without dashes', withLine('AWS_SRC_REGION', 'AWS_SRC_REGION=useast1')],
    ['the same region twice', withLine('AWS_DEST_REGION', 'AWS_DEST_REGION=us-east-1')],
    ['no secondary region', withLine('AWS_DEST_REGION', '')],
    ['a short account', withLine('AWS_ACCOUNT', 'AWS_ACCOUNT=12345')],
    ['an upper-case domain prefix', withLine('COGNITO_DOMAIN_PREFIX', 'COGNITO_DOMAIN_PREFIX=ToDo_Api')],
    ['a non-boolean deletion protection', withLine('DB_DELETION_PROTECTION', 'DB_DELETION_PROTECTION=maybe')],
    ['a CodeConnections source', `${DOTENV}${SOURCE}`],
    ['a source through an older codestar-connections ARN', `${DOTENV}${SOURCE.replace(CONNECTION_ARN, CODESTAR_ARN)}`],
    ['a connection without its branch', `${DOTENV}${SOURCE.replace('SOURCE_BRANCH=release/v2\n', '')}`],
    ['a repository alone', `${DOTENV}SOURCE_REPOSITORY=my-org/todomgmt\n`],
    [
      'a CodeCommit ARN as the connection',
      `${DOTENV}${SOURCE.replace(CONNECTION_ARN, 'arn:aws:codecommit:us-east-1:123456789012:ToDoMgmtRepo')}`,
    ],
    ['a repository without its owner', `${DOTENV}${SOURCE.replace('my-org/todomgmt', 'todomgmt')}`],
    ['a clone URL as the repository', `${DOTENV}${SOURCE.replace('my-org/todomgmt', 'https://github.com/my-org/todomgmt.git')}`],
    ['a branch git refuses', `${DOTENV}${SOURCE.replace('release/v2', 'release..v2')}`],
  ];

  test.each(cases)('%s', (label, content) => {
    const file = envFile(label, content);
    const result = describeAppCli(['--env-file', file], {});
    let expected: unknown;
    try {
      expected = loadConfig(readEnv(file, {}));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      expect(result).toEqual({ code: 1, stdout: '', stderr: `${e.message}\n` });
      // One "  - " line per problem, each naming the key to fix: the scripts relay these lines.
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines[0]).toBe('Invalid configuration (.env):');
      expect(lines.slice(1)).toEqual(e.problems.map((p) => `  - ${p}`));
      for (const p of e.problems)
        expect(p).toMatch(/(AWS_SRC_REGION|AWS_DEST_REGION|AWS_ACCOUNT|COGNITO_DOMAIN_PREFIX|DB_DELETION_PROTECTION|SOURCE_[A-Z_]+)/);
      return;
    }
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).config).toEqual(JSON.parse(JSON.stringify(expected, (_k, v: unknown) => v ?? null)));
  });

  test('the SOURCE_* keys: all three give a connection source; one or two name the missing keys; each value is checked', () => {
    expect(described(`${DOTENV}${SOURCE}`).config.source).toEqual({
      kind: 'connection',
      connectionArn: CONNECTION_ARN,
      repository: 'my-org/todomgmt',
      branch: 'release/v2',
    });
    expect(described(DOTENV).config.source).toEqual({ kind: 'codecommit' });
    const problems = (content: string) =>
      describeAppCli(['--env-file', envFile('problems', content)], {})
        .stderr.split('\n')
        .slice(1, -1);
    expect(problems(`${DOTENV}SOURCE_BRANCH=main\n`)).toEqual([
      '  - SOURCE_BRANCH is set but SOURCE_CONNECTION_ARN and SOURCE_REPOSITORY are not: ' +
        'SOURCE_CONNECTION_ARN, SOURCE_REPOSITORY, SOURCE_BRANCH go together ' +
        '(a GitHub, GitLab or Bitbucket repository through CodeConnections); set all three, or none for CodeCommit',
    ]);
    expect(problems(`${DOTENV}${SOURCE.replace('SOURCE_REPOSITORY=my-org/todomgmt\n', '')}`)[0]).toMatch(
      /^ {2}- SOURCE_CONNECTION_ARN and SOURCE_BRANCH are set but SOURCE_REPOSITORY is not: /,
    );
    const bad = SOURCE.replace(CONNECTION_ARN, 'arn:aws:codecommit:us-east-1:123456789012:ToDoMgmtRepo')
      .replace('my-org/todomgmt', 'my-org/todomgmt.git')
      .replace('release/v2', '-release');
    expect(problems(`${DOTENV}${bad}`)).toEqual([
      '  - SOURCE_CONNECTION_ARN=arn:aws:codecommit:us-east-1:123456789012:ToDoMgmtRepo is not a connection ARN: copy it from the ' +
        'console (Developer Tools > Settings > Connections), e.g. arn:aws:codeconnections:us-east-1:123456789012:connection/<id>',
      '  - SOURCE_REPOSITORY=my-org/todomgmt.git is invalid: use <owner>/<name> as the provider shows it, e.g. my-org/todomgmt',
      '  - SOURCE_BRANCH=-release is not a branch name git accepts, e.g. main',
    ]);
  });

  test('a variable in the environment overrides .env, as in readEnv()', () => {
    const result = describeAppCli(['--env-file', envFile('override', DOTENV)], { AWS_SRC_REGION: 'ap-southeast-2' });
    expect(JSON.parse(result.stdout).config.regions.pri).toBe('ap-southeast-2');
  });

  test('a wrong argument exits 2 with the usage', () => {
    expect(describeAppCli(['--frobnicate'], {})).toEqual({
      code: 2,
      stdout: '',
      stderr: 'usage: describe-app.ts [--env-file <path>]\nunexpected argument: --frobnicate\n',
    });
    expect(describeAppCli(['--env-file'], {}).code).toBe(2);
  });
});
