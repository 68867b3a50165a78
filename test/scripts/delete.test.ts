// delete.sh against stub commands and a fake account in which a wrong order fails as on AWS:
// a cluster still in a global cluster, or a non-empty bucket, makes its stack DELETE_FAILED.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACCOUNT, clusterArn, PRI, SECD } from './fake/state';
import { deletedStacks, deployedState, freshState, MUTATING, Sandbox, type Tool } from './harness';

jest.setTimeout(120_000);

let sandbox: Sandbox;
afterEach(async () => sandbox?.cleanup());

const TEARDOWN = [
  `${PRI}/ToDoMgmt-failover`,
  `${SECD}/ToDoMgmt-failover-secd`,
  `${SECD}/ToDoMgmt-app-secd`,
  `${SECD}/ToDoMgmt-infra-secd`,
  `${PRI}/ToDoMgmt-app-pri`,
  `${PRI}/ToDoMgmt-infra-pri`,
  `${PRI}/ToDoMgmt`,
  `${SECD}/ToDoMgmt-support-${SECD}`,
];
const PRI_ARN = clusterArn(PRI, 'todomgmt-infra-pri-db-cluster');
const SECD_ARN = clusterArn(SECD, 'todomgmt-infra-secd-db-cluster');
const indexOf = (calls: string[], prefix: string) => calls.findIndex((c) => c.startsWith(prefix));
const removeCall = (arn: string, region: string) =>
  'aws rds remove-from-global-cluster --global-cluster-identifier todomgmt-global-db-cluster ' +
  `--db-cluster-identifier ${arn} --region ${region}`;

/** What must be left after a full teardown: the bootstrap stacks and buckets the app did not create. */
function expectCleanAccount(s: Sandbox): void {
  expect(Object.keys(s.state.stacks).sort()).toEqual([`${PRI}/CDKToolkit`, `${SECD}/CDKToolkit`]);
  expect(s.state.globalCluster).toBeNull();
  expect(s.state.clusters).toEqual({});
  expect(Object.keys(s.state.buckets).sort()).toEqual([
    `cdk-hnb659fds-assets-${ACCOUNT}-${PRI}`,
    `cdk-hnb659fds-assets-${ACCOUNT}-${SECD}`,
    'todomgmt-someone-elses-bucket',
  ]);
  expect(s.state.buckets['todomgmt-someone-elses-bucket'].objects).toBe(7);
}

test('after confirmation, tears down in the order that works; a second run finds nothing to do', async () => {
  sandbox = await Sandbox.create(undefined, deployedState('pri'));
  const run = await sandbox.run('delete.sh', [], { input: 'y\n' });
  expect(run.stderr).toContain('Delete all of the above? [y/N]');
  expect(run.status).toBe(0);
  expect(deletedStacks(run.calls)).toEqual(TEARDOWN);

  // Both clusters leave the global cluster, each in its own region, the non-writer first, before
  // the secondary infra stack goes (RDS refuses to delete a member); the script waits for each.
  const removals = run.calls.filter((c) => c.startsWith('aws rds remove-from-global-cluster'));
  expect(removals).toEqual([removeCall(SECD_ARN, SECD), removeCall(PRI_ARN, PRI)]);
  const removal = indexOf(run.calls, 'aws rds remove-from-global-cluster');
  expect(removal).toBeGreaterThan(indexOf(run.calls, `aws cloudformation delete-stack --stack-name ToDoMgmt-app-secd`));
  const secdInfra = indexOf(run.calls, 'aws cloudformation delete-stack --stack-name ToDoMgmt-infra-secd');
  expect(run.calls.lastIndexOf(removals[1])).toBeLessThan(secdInfra);
  const polls = run.calls.slice(removal, secdInfra);
  expect(polls.filter((c) => c.startsWith('aws rds describe-global-clusters')).length).toBeGreaterThanOrEqual(4);
  expect(run.stdout).toContain('todomgmt-infra-secd-db-cluster is no longer in todomgmt-global-db-cluster');
  expect(run.stdout).toContain('todomgmt-infra-pri-db-cluster is no longer in todomgmt-global-db-cluster');

  // Buckets: found through the stack's resources, emptied (all versions, 1000 at a time) before the
  // stack is deleted; a retained bucket is deleted after its stack. Never a broad listing.
  const empties = run.calls.filter((c) => c.startsWith('aws s3api delete-objects --bucket todomgmt-failover-artifacts'));
  expect(empties).toHaveLength(3); // 2345 versions
  expect(indexOf(run.calls, 'aws s3api delete-objects --bucket todomgmt-failover-artifacts')).toBeLessThan(
    indexOf(run.calls, 'aws cloudformation delete-stack --stack-name ToDoMgmt-failover '),
  );
  expect(indexOf(run.calls, 'aws s3api delete-bucket --bucket todomgmt-app-pri-edge-logs')).toBeGreaterThan(
    indexOf(run.calls, 'aws cloudformation delete-stack --stack-name ToDoMgmt-app-pri'),
  );
  expect(indexOf(run.calls, 'aws s3api delete-bucket --bucket todomgmt-failover-artifacts')).toBeGreaterThan(
    indexOf(run.calls, 'aws cloudformation delete-stack --stack-name ToDoMgmt-failover '),
  );
  expect(
    run.calls.some((c) => /list-buckets|s3 ls|someone-elses|CDKToolkit --region .* delete|delete-stack --stack-name CDKToolkit/.test(c)),
  ).toBe(false);
  expect(run.stdout.match(/^==> \[\d+\/11\] /gm)).toHaveLength(11);
  expect(run.stdout.match(/^ {4}done in \d+(m\d\d)?s$/gm)).toHaveLength(11);
  expectCleanAccount(sandbox);

  const again = await sandbox.run('delete.sh', ['--yes']);
  expect(again.status).toBe(0);
  expect(again.stdout).toContain(
    `Nothing to delete: no ToDoMgmt stack, no global cluster and no failover run record in ${PRI} or ${SECD} (account ${ACCOUNT}).`,
  );
  expect(again.calls.filter((c) => MUTATING.test(c))).toEqual([]);
});

test('after a failover (writer in the secondary region) the primary cluster is detached first', async () => {
  sandbox = await Sandbox.create(undefined, deployedState('secd'));
  const run = await sandbox.run('delete.sh', ['--yes']);
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(`writer: ${SECD_ARN}`);
  expect(run.calls.filter((c) => c.startsWith('aws rds remove-from-global-cluster'))).toEqual([
    removeCall(PRI_ARN, PRI),
    removeCall(SECD_ARN, SECD),
  ]);
  expect(deletedStacks(run.calls)).toEqual(TEARDOWN);
  expectCleanAccount(sandbox);
});

test('a stack that fails to delete stops the run with the reason; re-running retries it and finishes', async () => {
  sandbox = await Sandbox.create(undefined, deployedState());
  sandbox.state.stacks[`${PRI}/ToDoMgmt-app-pri`].deleteFailures = 1;
  const failed = await sandbox.run('delete.sh', ['--yes']);
  expect(failed.status).toBe(1);
  expect(failed.stderr).toContain('error: ToDoMgmt-app-pri in us-east-1 did not delete: Waiter StackDeleteComplete failed');
  expect(failed.stderr).toContain('  Resource0 (AWS::S3::Bucket): injected failure');
  expect(failed.stderr).toContain('FAILED: step "Delete ToDoMgmt-app-pri (us-east-1)"');
  expect(failed.stderr).toContain('Re-run ./delete.sh: it skips what is already gone and retries the rest.');
  expect(Object.keys(sandbox.state.stacks)).toEqual(
    expect.arrayContaining([`${PRI}/ToDoMgmt-app-pri`, `${PRI}/ToDoMgmt-infra-pri`, `${PRI}/ToDoMgmt`]),
  );

  const resumed = await sandbox.run('delete.sh', ['--yes']);
  expect(resumed.status).toBe(0);
  expect(resumed.stdout).toContain('ToDoMgmt-app-secd (us-east-2): already gone');
  expect(resumed.stdout).toContain('ToDoMgmt-app-pri (us-east-1): DELETE_FAILED earlier, retrying');
  expect(deletedStacks(resumed.calls)).toEqual(TEARDOWN.slice(4));
  expectCleanAccount(sandbox);
});

test('a bucket retained by a stack that is already gone is found by its stack tag and deleted', async () => {
  const state = freshState();
  state.buckets['todomgmt-app-pri-edge-logs'] = { region: PRI, objects: 9, stackTag: 'ToDoMgmt-app-pri' };
  state.stacks[`${PRI}/ToDoMgmt`] = { status: 'CREATE_COMPLETE' };
  sandbox = await Sandbox.create(undefined, state);
  const run = await sandbox.run('delete.sh', ['--yes']);
  expect(run.status).toBe(0);
  expect(run.calls).toContain(
    `aws resourcegroupstaggingapi get-resources --region ${PRI} --resource-type-filters s3 ` +
      '--tag-filters Key=aws:cloudformation:stack-name,Values=ToDoMgmt-app-pri --output json',
  );
  expect(run.calls).toContain(`aws s3api delete-bucket --bucket todomgmt-app-pri-edge-logs --region ${PRI}`);
  expectCleanAccount(sandbox);
});

test('"no" at the confirmation deletes nothing', async () => {
  sandbox = await Sandbox.create(undefined, deployedState());
  const before = JSON.stringify(sandbox.state);
  const run = await sandbox.run('delete.sh', [], { input: 'n\n' });
  expect(run.status).toBe(1);
  expect(run.stdout).toContain('Account 123456789012: this deletes');
  expect(run.stdout).toContain('    ToDoMgmt-infra-secd (us-east-2, CREATE_COMPLETE)');
  expect(run.stdout).toContain('and empties and deletes these buckets, retained ones included');
  expect(run.stdout).toContain('    s3://todomgmt-failover-artifacts (ToDoMgmt-failover)');
  expect(run.stdout).not.toContain('someone-elses');
  expect(run.stderr).toContain('error: not confirmed: nothing was deleted (--yes skips the question)');
  expect(run.calls.filter((c) => MUTATING.test(c))).toEqual([]);
  expect(JSON.stringify(sandbox.state)).toBe(before);
});

test('--include-bootstrap also deletes CDKToolkit in both regions, with its retained staging buckets', async () => {
  sandbox = await Sandbox.create();
  const run = await sandbox.run('delete.sh', ['--yes', '--include-bootstrap']);
  expect(run.status).toBe(0);
  expect(run.stderr).toContain('--include-bootstrap: other CDK apps in these regions lose their bootstrap stack too');
  expect(deletedStacks(run.calls)).toEqual([`${PRI}/CDKToolkit`, `${SECD}/CDKToolkit`]);
  expect(sandbox.state.stacks).toEqual({});
  expect(Object.keys(sandbox.state.buckets)).toEqual(['todomgmt-someone-elses-bucket']);
});

test('a bad .env stops it before any AWS call, in the words of assets/common/config.ts', async () => {
  sandbox = await Sandbox.create(undefined, deployedState());
  const env = path.join(sandbox.project, '.env');
  fs.writeFileSync(env, fs.readFileSync(env, 'utf8').replace(`AWS_SRC_REGION=${PRI}`, 'AWS_SRC_REGION=useast1'));
  const run = await sandbox.run('delete.sh', ['--yes']);
  expect(run.status).toBe(1);
  expect(run.stderr).toBe(
    [
      'Preflight found 1 problem(s):',
      '  - AWS_SRC_REGION=useast1 is not an AWS region name (e.g. us-east-1): fix it in .env',
      'Nothing was changed. Fix the above and re-run.',
      '',
    ].join('\n'),
  );
  expect(run.calls.filter((c) => c.startsWith('aws '))).toEqual([]);
});

describe('refuses while the database is protected', () => {
  test('DB_DELETION_PROTECTION=true in .env', async () => {
    sandbox = await Sandbox.create(undefined, deployedState());
    const env = path.join(sandbox.project, '.env');
    fs.writeFileSync(env, fs.readFileSync(env, 'utf8').replace('DB_DELETION_PROTECTION=false', 'DB_DELETION_PROTECTION=true'));
    const run = await sandbox.run('delete.sh', ['--yes']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'DB_DELETION_PROTECTION=true in .env: set it to false and run ./deploy.sh (turns protection off), then re-run ./delete.sh',
    );
    expect(run.calls.filter((c) => MUTATING.test(c))).toEqual([]);
  });

  test('a cluster with deletion protection on', async () => {
    sandbox = await Sandbox.create(undefined, deployedState());
    sandbox.state.clusters[`${SECD}/todomgmt-infra-secd-db-cluster`].deletionProtection = true;
    const run = await sandbox.run('delete.sh', ['--yes']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `cluster todomgmt-infra-secd-db-cluster in ${SECD} has deletion protection on: ` +
        'aws rds modify-db-cluster --db-cluster-identifier todomgmt-infra-secd-db-cluster --no-deletion-protection --apply-immediately ' +
        `--region ${SECD}`,
    );
    expect(run.calls.filter((c) => MUTATING.test(c))).toEqual([]);
  });
});

test('a stack in the middle of an update is not deleted under it', async () => {
  sandbox = await Sandbox.create(undefined, deployedState());
  sandbox.state.stacks[`${SECD}/ToDoMgmt-failover-secd`].status = 'UPDATE_IN_PROGRESS';
  const run = await sandbox.run('delete.sh', ['--yes']);
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(
    'ToDoMgmt-failover-secd in us-east-2 is UPDATE_IN_PROGRESS: wait until it finishes, then re-run ./delete.sh',
  );
  expect(deletedStacks(run.calls)).toEqual(TEARDOWN.slice(0, 1));
});

test('--dry-run lists the plan and the commands, asks nothing and changes nothing', async () => {
  sandbox = await Sandbox.create(undefined, deployedState());
  const before = JSON.stringify(sandbox.state);
  const run = await sandbox.run('delete.sh', ['--dry-run']);
  expect(run.status).toBe(0);
  expect(run.stderr).not.toContain('[y/N]');
  expect(run.calls.filter((c) => MUTATING.test(c))).toEqual([]);
  expect(JSON.stringify(sandbox.state)).toBe(before);
  const printed = run.stdout.split('\n').filter((l) => l.startsWith('[dry-run] '));
  expect(printed).toContain('[dry-run] empty s3://todomgmt-failover-artifacts (every object version)');
  expect(printed.filter((l) => l.includes('delete-stack')).map((l) => l.replace(/.*--stack-name (\S+) --region (\S+)$/, '$2/$1'))).toEqual(
    TEARDOWN,
  );
  expect(printed).toContain(`[dry-run] ${removeCall(SECD_ARN, SECD)}`);
});

describe('the failover run record (an SSM parameter in each region that no stack owns)', () => {
  const RECORD = '/todomgmt/failover/run';
  const withRecords = (state: ReturnType<typeof deployedState>, regions = [PRI, SECD]) => {
    for (const region of regions) state.ssm[`${region}/${RECORD}`] = '{"mode":"switchover","target":"us-east-2"}';
    return state;
  };
  const deleteCall = (region: string) => `aws ssm delete-parameter --name ${RECORD} --region ${region} --cli-connect-timeout 10`;

  test('is listed in the plan and deleted in both regions after the stacks; a second run finds nothing', async () => {
    sandbox = await Sandbox.create(undefined, withRecords(deployedState()));
    const run = await sandbox.run('delete.sh', ['--yes']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      `    the failover run record ${RECORD} (SSM parameter, no stack owns it): ${PRI} (present), ${SECD} (present)`,
    );
    const deletes = run.calls.filter((c) => c.startsWith('aws ssm delete-parameter'));
    expect(deletes).toEqual([deleteCall(PRI), deleteCall(SECD)]);
    expect(run.calls.indexOf(deletes[0])).toBeGreaterThan(
      run.calls.lastIndexOf(`aws cloudformation delete-stack --stack-name ToDoMgmt-support-${SECD} --region ${SECD}`),
    );
    expect(Object.keys(sandbox.state.ssm).filter((k) => k.endsWith(RECORD))).toEqual([]);
    expectCleanAccount(sandbox);
    expect((await sandbox.run('delete.sh', ['--yes'])).stdout).toContain('Nothing to delete');
  });

  test('alone, it is still something to delete', async () => {
    sandbox = await Sandbox.create(undefined, withRecords(freshState(), [SECD]));
    const run = await sandbox.run('delete.sh', ['--yes']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`no stack owns it): ${SECD} (present)\n`);
    expect(run.stdout).toContain(`${RECORD} (${PRI}): none`);
    expect(run.stdout).toContain(`${RECORD} (${SECD}): deleted`);
    expect(sandbox.state.ssm[`${SECD}/${RECORD}`]).toBeUndefined();
  });

  test('a region whose SSM does not answer does not stop the teardown: that copy is named, with the command for later', async () => {
    sandbox = await Sandbox.create(undefined, withRecords(deployedState()));
    sandbox.state.unreachable = [`ssm:${SECD}`];
    const run = await sandbox.run('delete.sh', ['--yes']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      `: ${PRI} (present), ${SECD} (not checked (Could not connect to the endpoint URL: "https://ssm.${SECD}.amazonaws.com/"))`,
    );
    expect(run.stderr).toContain(
      `warning: ${RECORD} in ${SECD} was not deleted (Could not connect to the endpoint URL: "https://ssm.${SECD}.amazonaws.com/"); ` +
        `when ${SECD} answers: aws ssm delete-parameter --name ${RECORD} --region ${SECD}`,
    );
    expect(run.stdout).toContain('ToDoMgmt is deleted from');
    expect(sandbox.state.ssm[`${PRI}/${RECORD}`]).toBeUndefined();
    expect(sandbox.state.ssm[`${SECD}/${RECORD}`]).toBeDefined();
    expectCleanAccount(sandbox);
  });

  test('--dry-run prints both deletions and deletes neither', async () => {
    sandbox = await Sandbox.create(undefined, withRecords(deployedState()));
    const run = await sandbox.run('delete.sh', ['--dry-run']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`[dry-run] ${deleteCall(PRI)}\n[dry-run] ${deleteCall(SECD)}\n`);
    expect(sandbox.state.ssm[`${PRI}/${RECORD}`]).toBeDefined();
  });
});

describe('--local', () => {
  test('stops the local rehearsal (which removes .local/) and touches no AWS', async () => {
    sandbox = await Sandbox.create(['npm'] as Tool[]);
    const run = await sandbox.run('delete.sh', ['--local']);
    expect(run.status).toBe(0);
    expect(run.calls).toEqual(['npm run local -- stop']);
  });

  test('without node_modules: nothing to stop when .local/ is absent; installs first when it is there', async () => {
    sandbox = await Sandbox.create(['npm'] as Tool[]);
    fs.rmSync(path.join(sandbox.project, 'node_modules'), { recursive: true });
    const nothing = await sandbox.run('delete.sh', ['--local']);
    expect(nothing.status).toBe(0);
    expect(nothing.stdout).toContain('nothing to stop');
    expect(nothing.calls).toEqual([]);
    fs.mkdirSync(path.join(sandbox.project, '.local'));
    const run = await sandbox.run('delete.sh', ['--local']);
    expect(run.calls).toEqual(['npm ci --no-audit --no-fund', 'npm run local -- stop']);
    // The state dir is LOCAL_STATE_DIR when .env (or the environment) sets it.
    const elsewhere = await sandbox.run('delete.sh', ['--local'], { env: { LOCAL_STATE_DIR: 'rehearsal-state' } });
    expect(elsewhere.stdout).toContain('no rehearsal-state/): nothing to stop');
  });
});
