// The CDK app defines exactly the stacks of assets/common/stacks.ts, the table deploy.sh and delete.sh
// read through util/scripts/describe-app.ts: same cdk ids, CloudFormation names and regions (deploy.sh
// also checks this at run time with `cdk list --long --json`).
import { App, Stack } from 'aws-cdk-lib';
import { loadConfig } from '#config';
import { APP_STACKS, PIPELINE_FAILOVER_STACKS, supportStackName } from '#stacks';
import { buildToDoMgmtApp } from '../../lib/todo-mgmt-app';

const REGIONS = { pri: 'eu-west-1', secd: 'eu-central-1' };

test('every stack of the app is in the shared table, in the right region; the support stack has the name delete.sh deletes', () => {
  // The pipeline's copies of the failover stacks: other cdk ids, the same CloudFormation stacks.
  const table = [...APP_STACKS, ...PIPELINE_FAILOVER_STACKS].map((s) => ({ id: s.id, name: s.name, region: REGIONS[s.regionRole] }));

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
  expect(supportStackName(REGIONS.secd)).toBe(`ToDoMgmt-support-${REGIONS.secd}`);
});
