// What holds for the scripts without running a scenario: shellcheck, strict mode, --help, and no copy
// of what util/scripts/describe-app.ts tells them (test/scripts/describe-app.test.ts checks that side).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  clusterId,
  FAILOVER_PIPELINE_NAME,
  functionName,
  GLOBAL_CLUSTER_ID,
  PIPELINE_NAME,
  REGION_ROLES,
  REPOSITORY_NAME,
  SSM_PREFIX,
  STACK_NAMES,
  STAGE_IDS,
} from '#names';
import { REPO, SCRIPTS } from './harness';

const COMMON = 'util/scripts/common.sh';
const GLOBAL_DATABASE = 'util/scripts/global-database.sh';
const TEST_PREREQS = 'util/scripts/test-prereqs.sh';
describe('static checks', () => {
  // CI (.ci/run) and the pipeline's synth step (SYNTH_COMMANDS) install shellcheck; this test requires it.
  test('shellcheck reports nothing for the scripts and their shared helpers', () => {
    const result = spawnSync(
      'shellcheck',
      ['--external-sources', '--source-path=SCRIPTDIR', ...SCRIPTS, COMMON, GLOBAL_DATABASE, TEST_PREREQS],
      {
        cwd: REPO,
        encoding: 'utf8',
      },
    );
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

describe('the scripts keep no copy of the names, stacks or .env rules of the app', () => {
  // Code only: help texts (heredocs) and comments may name things.
  const code = (file: string) =>
    fs
      .readFileSync(path.join(REPO, file), 'utf8')
      .replace(/<<'?EOF'?\n[\s\S]*?\nEOF\n/g, '')
      .split('\n')
      .filter((l) => !/^\s*#/.test(l));

  test.each([...SCRIPTS, COMMON])('%s names none of assets/common/names.ts: they come from util/scripts/describe-app.ts', (file) => {
    const names = [
      ...REGION_ROLES.flatMap((role) => [STACK_NAMES.infra(role), STACK_NAMES.app(role), FAILOVER_PIPELINE_NAME(role), clusterId(role)]),
      STACK_NAMES.failover,
      STACK_NAMES.failoverSecd,
      ...Object.values(STAGE_IDS),
      REPOSITORY_NAME,
      PIPELINE_NAME,
      GLOBAL_CLUSTER_ID,
      `${SSM_PREFIX}/`,
      functionName('pri', 'CreateTableFunction'),
    ];
    const lines = code(file);
    expect(names.filter((n) => lines.some((l) => l.includes(n)))).toEqual([]);
  });

  test.each([...SCRIPTS, COMMON])('%s reads .env only through describe_app (delete.sh: LOCAL_STATE_DIR, before npm ci)', (file) => {
    const readers = code(file).filter((l) => l.includes('/.env"'));
    for (const line of readers) {
      expect(line).toMatch(
        /^\s*(describe_app "\$\{ROOT\}\/\.env"|state_dir=\$\(dotenv_value "\$\{ROOT\}\/\.env" LOCAL_STATE_DIR \.local\))$/,
      );
    }
    expect(code(file).filter((l) => /validate_env|load_dotenv|REGION_PATTERN/.test(l))).toEqual([]);
  });
});
