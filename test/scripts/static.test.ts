// What holds for the scripts without running a scenario: shellcheck, strict mode, names equal to
// assets/common/names.ts, .env validation that agrees with assets/common/config.ts, --help.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig, readEnv } from '#config';
import {
  clusterId,
  FAILOVER_PIPELINE_NAME,
  functionName,
  GLOBAL_CLUSTER_ID,
  PIPELINE_NAME,
  REPOSITORY_BRANCH,
  REPOSITORY_NAME,
  SSM_PREFIX,
  STACK_NAMES,
  STAGE_IDS,
} from '#names';
import { DOTENV, REPO, SCRIPTS } from './harness';

const COMMON = 'util/scripts/common.sh';
const TEST_PREREQS = 'util/scripts/test-prereqs.sh';
const bash = (script: string, env: Record<string, string> = {}) =>
  // stdin closed: bash sources ~/.bashrc when its stdin is a socket (node's pipes are).
  spawnSync('bash', ['-c', script], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), TMPDIR: os.tmpdir(), ...env },
  });

describe('static checks', () => {
  // CI (.ci/run) and the pipeline's synth step (SYNTH_COMMANDS) install shellcheck; this test requires it.
  test('shellcheck reports nothing for the scripts and their shared helpers', () => {
    const result = spawnSync('shellcheck', ['--external-sources', '--source-path=SCRIPTDIR', ...SCRIPTS, COMMON, TEST_PREREQS], {
      cwd: REPO,
      encoding: 'utf8',
    });
    if (result.error)
      throw new Error(`shellcheck could not run (${result.error.message}): apt-get install shellcheck | brew install shellcheck`);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  test.each(SCRIPTS)('%s is executable, runs in strict mode and sources the shared helpers', (script) => {
    const file = path.join(REPO, script);
    expect(fs.statSync(file).mode & 0o111).toBe(0o111);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(text).toMatch(/^set -euo pipefail$/m);
    expect(text).toContain('source "${ROOT}/util/scripts/common.sh"');
  });

  test.each(SCRIPTS)('%s --help prints the usage and exits 0; an unknown option exits 2', (script) => {
    const help = spawnSync(path.join(REPO, script), ['--help'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir(), TMPDIR: os.tmpdir() },
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: \\./${script.replace('.', '\\.')}`));
    expect(help.stdout).toContain('--dry-run');
    const bad = spawnSync(path.join(REPO, script), ['--frobnicate'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir(), TMPDIR: os.tmpdir() },
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown option: --frobnicate');
  });
});

describe('names in util/scripts/common.sh', () => {
  const names = bash(`source ${COMMON}; for v in STACK_PIPELINE STACK_FAILOVER_PRI STACK_FAILOVER_SECD STACK_INFRA_PRI STACK_INFRA_SECD \
    STACK_APP_PRI STACK_APP_SECD STAGE_PRI STAGE_SECD REPOSITORY_NAME REPOSITORY_BRANCH PIPELINE_NAME FAILOVER_PIPELINE_PRI \
    FAILOVER_PIPELINE_SECD GLOBAL_CLUSTER_ID CLUSTER_ID_PRI CLUSTER_ID_SECD SSM_PREFIX CREATE_TABLE_FUNCTION; do printf '%s=%s\\n' "$v" "\${!v}"; done
    echo "STACK_TABLE=\${STACK_TABLE[*]}"`);

  test('equal assets/common/names.ts', () => {
    expect(names.stderr).toBe('');
    const lines = names.stdout.trim().split('\n');
    expect(lines.filter((l) => !l.startsWith('STACK_TABLE='))).toEqual([
      `STACK_PIPELINE=${STACK_NAMES.pipeline}`,
      `STACK_FAILOVER_PRI=${STACK_NAMES.failover}`,
      `STACK_FAILOVER_SECD=${STACK_NAMES.failoverSecd}`,
      `STACK_INFRA_PRI=${STACK_NAMES.infra('pri')}`,
      `STACK_INFRA_SECD=${STACK_NAMES.infra('secd')}`,
      `STACK_APP_PRI=${STACK_NAMES.app('pri')}`,
      `STACK_APP_SECD=${STACK_NAMES.app('secd')}`,
      `STAGE_PRI=${STAGE_IDS.pri}`,
      `STAGE_SECD=${STAGE_IDS.secd}`,
      `REPOSITORY_NAME=${REPOSITORY_NAME}`,
      `REPOSITORY_BRANCH=${REPOSITORY_BRANCH}`,
      `PIPELINE_NAME=${PIPELINE_NAME}`,
      `FAILOVER_PIPELINE_PRI=${FAILOVER_PIPELINE_NAME('pri')}`,
      `FAILOVER_PIPELINE_SECD=${FAILOVER_PIPELINE_NAME('secd')}`,
      `GLOBAL_CLUSTER_ID=${GLOBAL_CLUSTER_ID}`,
      `CLUSTER_ID_PRI=${clusterId('pri')}`,
      `CLUSTER_ID_SECD=${clusterId('secd')}`,
      `SSM_PREFIX=${SSM_PREFIX}`,
      `CREATE_TABLE_FUNCTION=${functionName('pri', 'CreateTableFunction')}`,
    ]);
  });

  test('the deploy table is the stack order of the article, with cdk ids built from the stage ids', () => {
    const table = names.stdout
      .split('\n')
      .find((l) => l.startsWith('STACK_TABLE='))!
      .slice('STACK_TABLE='.length)
      .split(' ');
    const stage = (role: 'pri' | 'secd', stack: string) => `${STACK_NAMES.pipeline}/${STAGE_IDS[role]}/${stack}`;
    expect(table).toEqual([
      `${STACK_NAMES.pipeline}|${STACK_NAMES.pipeline}|pri`,
      `${stage('pri', STACK_NAMES.infra('pri'))}|${STACK_NAMES.infra('pri')}|pri`,
      `${stage('pri', STACK_NAMES.app('pri'))}|${STACK_NAMES.app('pri')}|pri`,
      `${stage('secd', STACK_NAMES.infra('secd'))}|${STACK_NAMES.infra('secd')}|secd`,
      `${stage('secd', STACK_NAMES.app('secd'))}|${STACK_NAMES.app('secd')}|secd`,
      `${STACK_NAMES.failover}|${STACK_NAMES.failover}|pri`,
      `${STACK_NAMES.failoverSecd}|${STACK_NAMES.failoverSecd}|secd`,
    ]);
  });
});

describe('.env validation agrees with assets/common/config.ts on the keys the scripts read', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-env-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

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
  ];

  test.each(cases)('%s', (_label, content) => {
    const file = path.join(dir, `${_label.replace(/\W+/g, '-')}.env`);
    fs.writeFileSync(file, content);
    let tsVerdict: string;
    try {
      const config = loadConfig(readEnv(file, {}));
      tsVerdict = `ok ${config.regions.pri} ${config.regions.secd} ${config.account ?? ''}`;
    } catch (e) {
      tsVerdict = `invalid`;
    }
    const sh = bash(`source ${COMMON}; load_dotenv ${JSON.stringify(file)}; validate_env;
      if ((\${#PROBLEMS[@]})); then printf 'invalid'; printf '\\n%s' "\${PROBLEMS[@]}" >&2; else printf 'ok %s %s %s' "$PRI_REGION" "$SECD_REGION" "$ENV_ACCOUNT"; fi`);
    expect(sh.stdout).toBe(tsVerdict);
    if (tsVerdict === 'invalid')
      expect(sh.stderr).toMatch(/(AWS_SRC_REGION|AWS_DEST_REGION|AWS_ACCOUNT|COGNITO_DOMAIN_PREFIX|DB_DELETION_PROTECTION)/);
  });

  test('a variable in the environment overrides .env, as in readEnv()', () => {
    const file = path.join(dir, 'override.env');
    fs.writeFileSync(file, DOTENV);
    const sh = bash(`source ${COMMON}; load_dotenv ${JSON.stringify(file)}; validate_env; printf '%s' "$PRI_REGION"`, {
      AWS_SRC_REGION: 'ap-southeast-2',
    });
    expect(sh.stdout).toBe('ap-southeast-2');
  });
});
