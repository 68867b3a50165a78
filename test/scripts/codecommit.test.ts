// local_codecommit_setup.sh with real git: the stub git runs /usr/bin/git with the CodeCommit URL
// pointed at a local bare repository, so clone, commit and push really happen.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRI } from './fake/state';
import { MUTATING, Sandbox, systemTool, type Tool } from './harness';

jest.setTimeout(120_000);

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: '/nonexistent',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};
const git = (cwd: string, ...args: string[]) => execFileSync(systemTool('git'), args, { cwd, encoding: 'utf8', env: GIT_ENV }).trim();

let sandbox: Sandbox;
let bare: string;
afterEach(async () => sandbox?.cleanup());

// node and npm: the script reads .env and the names through util/scripts/describe-app.ts.
async function project(tools: readonly Tool[] = ['aws', 'jq', 'node', 'npm', 'git', 'git-remote-codecommit']): Promise<void> {
  sandbox = await Sandbox.create(tools);
  bare = path.join(sandbox.dir, 'remote.git');
  git(sandbox.dir, 'init', '--quiet', '--bare', bare);
  sandbox.options = { ...sandbox.options, gitRemote: bare };
  const p = sandbox.project;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(p, file)), { recursive: true });
    fs.writeFileSync(path.join(p, file), text);
  };
  write('.gitignore', 'node_modules/\ncdk.out/\n.local/\n*.log\n');
  write('lib/app.ts', 'export const v = 1;\n');
  write('deleted-in-tree.txt', 'tracked, then deleted\n');
  git(p, 'init', '--quiet', '-b', 'main');
  git(p, 'add', '.');
  git(p, 'commit', '--quiet', '-m', 'project');
  fs.rmSync(path.join(p, 'deleted-in-tree.txt'));
  write('bin/new.ts', 'untracked, not ignored\n');
  write('debug.log', 'ignored\n');
  write('node_modules/x/index.js', 'dependency\n');
  write('.local/state.json', 'local rehearsal\n');
  write('cdk.out/manifest.json', 'synth output\n');
}

const remoteFiles = () => git(sandbox.dir, `--git-dir=${bare}`, 'ls-tree', '-r', '--name-only', 'main').split('\n').sort();
const remoteCommits = () => Number(git(sandbox.dir, `--git-dir=${bare}`, 'rev-list', '--count', 'main'));
const PUSHED = [
  '.env',
  '.gitignore',
  'bin/new.ts',
  'cdk.json',
  'delete.sh',
  'deploy.sh',
  'lib/app.ts',
  'local_codecommit_setup.sh',
  'package-lock.json',
  'package.json',
  'util/scripts/common.sh',
  'util/scripts/global-database.sh',
];

test('pushes what the pipeline needs with git-remote-codecommit; a re-run without changes pushes nothing; a change is pushed', async () => {
  await project();
  const first = await sandbox.run('local_codecommit_setup.sh');
  expect(first.stderr).toBe('');
  expect(first.status).toBe(0);
  expect(first.calls.find((c) => c.startsWith('git clone'))).toMatch(
    new RegExp(`^git clone --quiet codecommit::${PRI}://ToDoMgmtRepo \\S+/ToDoMgmtRepo$`),
  );
  expect(first.calls.filter((c) => / push /.test(c))).toHaveLength(1);
  expect(first.calls.find((c) => / push /.test(c))).toMatch(/ push --quiet origin HEAD:refs\/heads\/main$/);
  expect(remoteFiles()).toEqual(PUSHED);
  expect(git(sandbox.dir, `--git-dir=${bare}`, 'ls-tree', 'main', 'deploy.sh')).toMatch(/^100755 /);
  expect(git(sandbox.dir, `--git-dir=${bare}`, 'log', '-1', '--format=%s', 'main')).toMatch(/^Sync from [0-9a-f]{7,} /);
  expect(first.stdout).toMatch(/Pushed [0-9a-f]{7,} to ToDoMgmtRepo main\./);
  expect(first.stdout).toContain(`aws codepipeline get-pipeline-state --name ToDoMgmtPipeline --region ${PRI}`);

  const second = await sandbox.run('local_codecommit_setup.sh');
  expect(second.status).toBe(0);
  expect(second.stdout).toContain('ToDoMgmtRepo (main) already has this project: nothing to push.');
  expect(second.calls.filter((c) => / (push|commit) /.test(c))).toEqual([]);
  expect(remoteCommits()).toBe(1);

  fs.writeFileSync(path.join(sandbox.project, 'lib/app.ts'), 'export const v = 2;\n');
  fs.rmSync(path.join(sandbox.project, 'bin/new.ts'));
  const third = await sandbox.run('local_codecommit_setup.sh', ['--message', 'v2']);
  expect(third.status).toBe(0);
  expect(remoteCommits()).toBe(2);
  expect(git(sandbox.dir, `--git-dir=${bare}`, 'log', '-1', '--format=%s', 'main')).toBe('v2');
  expect(remoteFiles()).toEqual(PUSHED.filter((f) => f !== 'bin/new.ts'));
  expect(git(sandbox.dir, `--git-dir=${bare}`, 'show', 'main:lib/app.ts')).toBe('export const v = 2;');
});

test('without git-remote-codecommit: HTTPS with the AWS CLI credential helper (other helpers reset)', async () => {
  await project(['aws', 'jq', 'node', 'npm', 'git']);
  const run = await sandbox.run('local_codecommit_setup.sh');
  expect(run.status).toBe(0);
  const helper = '-c credential.helper= -c credential.helper=!aws codecommit credential-helper $@ -c credential.UseHttpPath=true';
  expect(run.calls.find((c) => c.includes(' clone '))).toBe(
    `git ${helper} clone --quiet https://git-codecommit.${PRI}.amazonaws.com/v1/repos/ToDoMgmtRepo ${run.calls
      .find((c) => c.includes(' clone '))!
      .split(' ')
      .at(-1)}`,
  );
  expect(run.calls.find((c) => / push /.test(c))).toMatch(
    new RegExp(`^git ${helper.replace(/[$]/g, '\\$')} -C \\S+ push --quiet origin HEAD:refs/heads/main$`),
  );
  expect(remoteFiles()).toEqual(PUSHED);
});

describe('clear messages, nothing pushed', () => {
  test('neither git-remote-codecommit nor the aws CLI', async () => {
    await project(['git']);
    const run = await sandbox.run('local_codecommit_setup.sh');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'neither git-remote-codecommit nor the aws CLI found: pip install git-remote-codecommit, or install AWS CLI v2',
    );
    expect(run.calls).toEqual([]);
  });

  test('a bad .env, in the words of assets/common/config.ts', async () => {
    await project();
    fs.appendFileSync(path.join(sandbox.project, '.env'), 'AWS_DEST_REGION=us-east-1\n');
    const run = await sandbox.run('local_codecommit_setup.sh');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('  - AWS_SRC_REGION and AWS_DEST_REGION must differ: active-passive needs two regions: fix it in .env');
    expect(run.calls.some((c) => c.startsWith('aws ') || c.includes(' clone '))).toBe(false);
  });

  test('the repository does not exist yet', async () => {
    await project();
    sandbox.state.repositories = [];
    const run = await sandbox.run('local_codecommit_setup.sh');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`ToDoMgmtRepo does not exist in ${PRI}: run ./deploy.sh first (the ToDoMgmt stack creates it)`);
    expect(run.calls.some((c) => c.includes(' clone '))).toBe(false);
  });

  test('the push is rejected', async () => {
    await project();
    fs.writeFileSync(path.join(bare, 'hooks', 'pre-receive'), '#!/bin/sh\necho "denied by policy" >&2\nexit 1\n', { mode: 0o755 });
    const run = await sandbox.run('local_codecommit_setup.sh');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('denied by policy');
    expect(run.stderr).toContain(`git push to codecommit::${PRI}://ToDoMgmtRepo failed (nothing in ToDoMgmtRepo changed)`);
    expect(git(sandbox.dir, `--git-dir=${bare}`, 'branch', '--list')).toBe('');
  });
});

test('--dry-run clones and shows what would be committed, pushes nothing', async () => {
  await project();
  const run = await sandbox.run('local_codecommit_setup.sh', ['--dry-run']);
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('lib/app.ts');
  expect(run.stdout).toMatch(/\[dry-run\] git commit -m .* && git push origin HEAD:refs\/heads\/main/);
  expect(run.calls.filter((c) => MUTATING.test(c) || / (push|commit) /.test(c))).toEqual([]);
  expect(git(sandbox.dir, `--git-dir=${bare}`, 'branch', '--list')).toBe('');
});

test('a project that is not a git repository: every file except node_modules, .local and cdk.out', async () => {
  await project();
  fs.rmSync(path.join(sandbox.project, '.git'), { recursive: true });
  const run = await sandbox.run('local_codecommit_setup.sh');
  expect(run.status).toBe(0);
  // The listing is every file minus the three directories; the copied .gitignore still keeps
  // debug.log out of the commit, so the result equals the git case.
  expect(run.stdout).toMatch(/^ {4}1[0-9] files$/m);
  expect(remoteFiles()).toEqual(PUSHED);
  expect(git(sandbox.dir, `--git-dir=${bare}`, 'log', '-1', '--format=%s', 'main')).toMatch(/^Sync from no git history /);
});

describe("the local rehearsal's state (keys, client secret, database passwords) is never pushed", () => {
  const writeState = (dir: string) => {
    for (const file of ['secrets.json', 'token-signing-key.json', 'endpoints.json', 'pri/db/ibdata1']) {
      fs.mkdirSync(path.dirname(path.join(sandbox.project, dir, file)), { recursive: true });
      fs.writeFileSync(path.join(sandbox.project, dir, file), 'secret\n');
    }
  };

  test('LOCAL_STATE_DIR under another name than .local, not in .gitignore: left out, with or without git', async () => {
    await project();
    fs.appendFileSync(path.join(sandbox.project, '.env'), 'LOCAL_STATE_DIR=rehearsal-state\n');
    writeState('rehearsal-state');
    const run = await sandbox.run('local_codecommit_setup.sh');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(remoteFiles()).toEqual(PUSHED);

    fs.rmSync(path.join(sandbox.project, '.git'), { recursive: true });
    fs.writeFileSync(path.join(sandbox.project, 'lib/app.ts'), 'export const v = 3;\n');
    const again = await sandbox.run('local_codecommit_setup.sh');
    expect(again.status).toBe(0);
    expect(remoteFiles()).toEqual(PUSHED);
  });

  test('a state directory LOCAL_STATE_DIR no longer names (an earlier setting) is refused before anything is cloned', async () => {
    await project();
    fs.appendFileSync(path.join(sandbox.project, '.env'), 'LOCAL_STATE_DIR=rehearsal-state\n');
    writeState('rehearsal-state');
    writeState('old-state');
    writeState('deeper/state');
    const run = await sandbox.run('local_codecommit_setup.sh');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "error: a local rehearsal's state (client secret, database passwords, signing key) would be pushed from: " +
        `deeper/state/ old-state/. Nothing was pushed. LOCAL_STATE_DIR in .env names ${sandbox.project}/rehearsal-state; ` +
        'delete the other one (LOCAL_STATE_DIR=<it> ./delete.sh --local), move it out of the project, or add it to .gitignore, then re-run',
    );
    expect(run.calls.some((c) => / (clone|push|commit) /.test(c))).toBe(false);
    expect(git(sandbox.dir, `--git-dir=${bare}`, 'branch', '--list')).toBe('');
  });

  test('LOCAL_STATE_DIR=. (the project itself) is refused', async () => {
    await project();
    fs.appendFileSync(path.join(sandbox.project, '.env'), 'LOCAL_STATE_DIR=.\n');
    const run = await sandbox.run('local_codecommit_setup.sh');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('LOCAL_STATE_DIR in .env is the project directory itself');
    expect(run.calls.some((c) => / (clone|push|commit) /.test(c))).toBe(false);
  });
});

describe('with a CodeConnections source (SOURCE_* in .env)', () => {
  const SOURCE =
    'SOURCE_CONNECTION_ARN=arn:aws:codeconnections:us-east-1:123456789012:connection/aEXAMPLE-8aad\n' +
    'SOURCE_REPOSITORY=my-org/todomgmt\nSOURCE_BRANCH=main\n';

  test('explains that pushing to that repository deploys, and does nothing else', async () => {
    await project();
    fs.appendFileSync(path.join(sandbox.project, '.env'), SOURCE);
    const run = await sandbox.run('local_codecommit_setup.sh');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      'ToDoMgmtPipeline builds from my-org/todomgmt (branch main) through a CodeConnections connection\n' +
        '(SOURCE_* in .env), not from CodeCommit: there is nothing for this script to push, and it pushed nothing.\n' +
        'To deploy, commit your change and push it to that repository, e.g.:\n' +
        '  git push <remote of my-org/todomgmt> HEAD:main\n',
    );
    expect(run.stdout).toContain(`aws codepipeline get-pipeline-state --name ToDoMgmtPipeline --region ${PRI}`);
    expect(run.calls.some((c) => c.startsWith('aws ') || / (clone|push|commit|add) /.test(c))).toBe(false);
    expect(git(sandbox.dir, `--git-dir=${bare}`, 'branch', '--list')).toBe('');
  });

  test('needs neither git-remote-codecommit nor the aws CLI, and warns when git would commit a rehearsal state', async () => {
    await project(['jq', 'node', 'npm', 'git']);
    fs.appendFileSync(path.join(sandbox.project, '.env'), `${SOURCE}LOCAL_STATE_DIR=rehearsal-state\n`);
    fs.mkdirSync(path.join(sandbox.project, 'rehearsal-state'));
    fs.writeFileSync(path.join(sandbox.project, 'rehearsal-state', 'secrets.json'), '{}\n');
    const run = await sandbox.run('local_codecommit_setup.sh');
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(
      "warning: git would commit a local rehearsal's state (client secret, database passwords, signing key) in: rehearsal-state/: " +
        'add it to .gitignore or move it out of the project before you push\n',
    );
  });
});
