// The state dir holds the client secret, the database passwords, the signing key and both databases:
// wherever LOCAL_STATE_DIR points, git must never pick it up (issue 14 item 1). Checked with git itself.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { looksLikeStateDir, prepareStateDir, STATE_GITIGNORE, StateDirError } from '../../util/local/state';

let root: string;
let repo: string;

const git = (...args: string[]) => {
  const result = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
  if (result.status !== 0 && args[0] !== 'check-ignore') throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result;
};

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-statedir-'));
  repo = path.join(root, 'repo');
  fs.mkdirSync(repo);
  git('init', '-q');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'test');
  fs.writeFileSync(path.join(repo, 'README.md'), 'a project\n');
  git('add', 'README.md');
  git('commit', '-q', '-m', 'init');
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

test('a new state dir inside the repository ignores itself: git sees nothing to add', () => {
  const dir = path.join(repo, 'my-state');
  prepareStateDir(dir);
  expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe(STATE_GITIGNORE);
  expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  fs.writeFileSync(path.join(dir, 'secrets.json'), '{"clientSecret":"s3cr3t"}');
  fs.mkdirSync(path.join(dir, 'pri', 'db'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'pri', 'db', 'ibdata1'), 'data');

  expect(git('status', '--porcelain', '--untracked-files=all').stdout).toBe('');
  git('add', '-A');
  expect(git('diff', '--cached', '--name-only').stdout).toBe('');
  expect(git('check-ignore', '-q', 'my-state/secrets.json').status).toBe(0);
  expect(looksLikeStateDir(dir)).toBe(true);
  // Idempotent: a second start keeps it as it is.
  prepareStateDir(dir);
  expect(git('status', '--porcelain', '--untracked-files=all').stdout).toBe('');
});

test('a state dir of an older version (no .gitignore yet) gets one before anything else happens', () => {
  const dir = path.join(repo, 'old-state');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'secrets.json'), '{}');
  expect(git('status', '--porcelain', '--untracked-files=all').stdout).toContain('old-state/secrets.json');
  prepareStateDir(dir);
  expect(git('status', '--porcelain', '--untracked-files=all').stdout).toBe('');
});

test('a state dir whose files git already tracks is refused, with a message naming LOCAL_STATE_DIR and the fix', () => {
  const dir = path.join(repo, 'committed-state');
  prepareStateDir(dir);
  fs.writeFileSync(path.join(dir, 'secrets.json'), '{}');
  git('add', '-f', 'committed-state/secrets.json');
  git('commit', '-q', '-m', 'oops');
  expect(() => prepareStateDir(dir)).toThrow(StateDirError);
  expect(() => prepareStateDir(dir)).toThrow(`LOCAL_STATE_DIR=${dir} is inside the git work tree`);
  expect(() => prepareStateDir(dir)).toThrow(/already tracks 1 file\(s\) in it.*outside the repository.*git rm -r --cached/s);
});

test('a directory with other files in it is refused and left untouched: its files would mix with secrets, stop would remove them', () => {
  const dir = path.join(repo, 'docs');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'guide.md'), 'keep me\n');
  expect(() => prepareStateDir(dir)).toThrow(/LOCAL_STATE_DIR=.*docs is a directory with other files in it/);
  expect(fs.readdirSync(dir)).toEqual(['guide.md']);
  expect(looksLikeStateDir(dir)).toBe(false);
});

test('outside a git checkout it just works', () => {
  const dir = path.join(root, 'plain', 'state');
  prepareStateDir(dir);
  expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe(STATE_GITIGNORE);
  // A file, not a directory: refused with the setting named.
  const file = path.join(root, 'a-file');
  fs.writeFileSync(file, '');
  expect(() => prepareStateDir(file)).toThrow(`LOCAL_STATE_DIR=${file} is not a directory`);
});
