// The CDK app defines exactly the stacks the scripts deploy and delete: same cdk ids, CloudFormation
// names and regions (deploy.sh also checks this at run time with `cdk list --long --json`).
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { App, Stack } from 'aws-cdk-lib';
import { loadConfig } from '#config';
import { buildToDoMgmtApp } from '../../lib/todo-mgmt-app';
import { REPO } from './harness';

const REGIONS = { pri: 'eu-west-1', secd: 'eu-central-1' };

test('every stack of the app is in util/scripts/common.sh STACK_TABLE, in the right region; the support stack has the name delete.sh derives', () => {
  const table = spawnSync('bash', ['-c', 'source util/scripts/common.sh; printf "%s\\n" "${STACK_TABLE[@]}"'], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), TMPDIR: os.tmpdir() },
  })
    .stdout.trim()
    .split('\n')
    .map((line) => {
      const [id, name, role] = line.split('|');
      return { id, name, region: REGIONS[role as 'pri' | 'secd'] };
    });

  // No asset bundling: only the construct tree matters here.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  buildToDoMgmtApp(app, loadConfig({ AWS_SRC_REGION: REGIONS.pri, AWS_DEST_REGION: REGIONS.secd }));
  const stacks = app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
  const support = stacks.filter((s) => s.node.path.startsWith('cross-region-stack-'));
  const defined = stacks.filter((s) => !support.includes(s)).map((s) => ({ id: s.node.path, name: s.stackName, region: s.region }));

  expect(defined.sort((a, b) => a.id.localeCompare(b.id))).toEqual([...table].sort((a, b) => a.id.localeCompare(b.id)));
  // CDK Pipelines' replication stack for the secondary region: delete.sh deletes it by this name.
  expect(support.map((s) => ({ name: s.stackName, region: s.region }))).toEqual([
    { name: `ToDoMgmt-support-${REGIONS.secd}`, region: REGIONS.secd },
  ]);
});
