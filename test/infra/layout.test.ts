// The house rules of the tree that a reader relies on: small files, and runtime programs that never
// reach into the CDK side (they share facts through #names, #config, #routes … instead).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.join(__dirname, '..', '..');
const tracked = execFileSync('git', ['ls-files'], { cwd: REPO, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && fs.existsSync(path.join(REPO, f)));
const SOURCE = /\.(ts|mjs|js|sh)$/;
const isSource = (f: string) => SOURCE.test(f) && !f.startsWith('test/') && !f.endsWith('.d.ts');

test('no source file is over 400 lines', () => {
  const long = tracked
    .filter(isSource)
    .map((f) => ({ f, lines: fs.readFileSync(path.join(REPO, f), 'utf8').split('\n').length - 1 }))
    .filter(({ lines }) => lines > 400);
  expect(long).toEqual([]);
});

test('runtime programs (assets/, util/) never import the CDK side (lib/, aws-cdk-lib)', () => {
  const offenders = tracked
    .filter((f) => /^(assets|util)\/.*\.(ts|mjs|js)$/.test(f))
    .filter((f) =>
      /from ['"](\.\.\/)+lib\/|from ['"]aws-cdk-lib|require\(['"]aws-cdk-lib/.test(fs.readFileSync(path.join(REPO, f), 'utf8')),
    );
  expect(offenders).toEqual([]);
});
