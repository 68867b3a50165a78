// The commands the scripts call (aws, npx cdk, npm, node, git), answered in-process: the harness
// puts a tiny wrapper for each name on PATH that hands the call over a loopback socket (see
// harness.ts). Each call is recorded as one line "<name> <args...>", fails when it starts with one
// of the `failOn` prefixes, and otherwise acts on the fake account in `state`. What it promises, and
// what it does not model: ./README.md; test/scripts/fake.test.ts holds it to that.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeAppCli } from '../../../util/scripts/describe-app';
import type { CdkStack, FakeState } from './state';

/** How the scripts run util/scripts/describe-app.ts (common.sh describe_app), from the project root. */
export const DESCRIBE_APP = ['--require', 'ts-node/register/transpile-only', 'util/scripts/describe-app.ts'] as const;

export interface Reply {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Run this program instead (real git, with CodeCommit URLs pointed at a local bare repository). */
  readonly exec?: readonly string[];
}

export interface CallOptions {
  readonly failOn: readonly string[];
  readonly nodeVersion: string;
  readonly gitRemote?: string;
  /** The real git the git stub runs. */
  readonly git: string;
}

class Exit extends Error {
  constructor(readonly reply: Reply) {
    super('exit');
  }
}

export function callLine(name: string, args: readonly string[]): string {
  return [name, ...args].join(' ').replace(/\s*\n\s*/g, ' ');
}

export function fakeCall(state: FakeState, options: CallOptions, cwd: string, name: string, args: readonly string[]): Reply {
  const line = callLine(name, args);
  const bare = line.startsWith('npx ') ? line.slice(4) : line;
  if (options.failOn.some((p) => line.startsWith(p) || bare.startsWith(p))) {
    return { code: 1, stdout: '', stderr: `stub: failing on request: ${line}\n` };
  }
  try {
    dispatch(state, options, cwd, name, args, line);
    return { code: 0, stdout: '', stderr: '' };
  } catch (e) {
    if (e instanceof Exit) return e.reply;
    throw e;
  }
}

function dispatch(state: FakeState, options: CallOptions, cwd: string, name: string, args: readonly string[], line: string): void {
  function opt(flag: string): string | undefined {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  }
  function out(value: unknown): never {
    throw new Exit({ code: 0, stdout: value === undefined ? '' : `${JSON.stringify(value, null, 2)}\n`, stderr: '' });
  }
  function fail(message: string, code = 254): never {
    throw new Exit({ code, stdout: '', stderr: `${message}\n` });
  }
  function awsError(code: string, op: string, message: string): never {
    return fail(`\nAn error occurred (${code}) when calling the ${op} operation: ${message}`);
  }

  // ---------------------------------------------------------------------------------------------
  function aws(): never {
    if (state.account === null) {
      fail('\nUnable to locate credentials. You can configure credentials by running "aws configure".', 253);
    }
    const [service, op] = args;
    const region = opt('--region') ?? '';
    const key = (n: string) => `${region}/${n}`;
    if (state.unreachable.includes(region) || state.unreachable.includes(`${service}:${region}`)) {
      // botocore's EndpointConnectionError; the CLI exits 255.
      fail(`\nCould not connect to the endpoint URL: "https://${service}.${region}.amazonaws.com/"`, 255);
    }
    switch (`${service} ${op}`) {
      case 'sts get-caller-identity':
        return out({ UserId: 'AIDAEXAMPLE', Account: state.account, Arn: `arn:aws:iam::${state.account}:user/tester` });

      case 'cloudformation describe-stacks': {
        const stackName = opt('--stack-name')!;
        const stack = state.stacks[key(stackName)];
        if (!stack) awsError('ValidationError', 'DescribeStacks', `Stack with id ${stackName} does not exist`);
        const outputs = [...(stack.outputs ?? [])];
        if (stackName === 'CDKToolkit') outputs.push({ OutputKey: 'BootstrapVersion', OutputValue: String(state.bootstrapVersion) });
        return out({ Stacks: [{ StackName: stackName, StackStatus: stack.status, Outputs: outputs }] });
      }
      case 'cloudformation list-stack-resources': {
        const stackName = opt('--stack-name')!;
        const stack = state.stacks[key(stackName)];
        if (!stack) awsError('ValidationError', 'ListStackResources', `Stack with id ${stackName} does not exist`);
        return out({
          StackResourceSummaries: (stack.resources ?? []).map((r, i) => ({
            LogicalResourceId: `Resource${i}`,
            PhysicalResourceId: r.physicalId,
            ResourceType: r.type,
            ResourceStatus: 'CREATE_COMPLETE',
          })),
        });
      }
      case 'cloudformation delete-stack':
        deleteStack(region, opt('--stack-name')!);
        return out(undefined);
      case 'cloudformation wait': {
        const stack = state.stacks[key(opt('--stack-name')!)];
        if (!stack) return out(undefined);
        return fail(
          '\nWaiter StackDeleteComplete failed: Waiter encountered a terminal failure state: ' +
            `For expression "Stacks[].StackStatus" we matched expected path: "${stack.status}" at least once`,
          255,
        );
      }
      case 'cloudformation describe-stack-events': {
        const stack = state.stacks[key(opt('--stack-name')!)];
        return out({
          StackEvents:
            stack?.status === 'DELETE_FAILED'
              ? [
                  {
                    LogicalResourceId: 'Resource0',
                    ResourceType: 'AWS::S3::Bucket',
                    ResourceStatus: 'DELETE_FAILED',
                    ResourceStatusReason: stack.reason ?? 'failed',
                  },
                ]
              : [],
        });
      }
      case 'resourcegroupstaggingapi get-resources': {
        const tag = (opt('--tag-filters') ?? '').replace(/^Key=aws:cloudformation:stack-name,Values=/, '');
        const list = Object.entries(state.buckets)
          .filter(([, b]) => b.region === region && b.stackTag === tag)
          .map(([bucket]) => ({ ResourceARN: `arn:aws:s3:::${bucket}`, Tags: [] }));
        return out({ ResourceTagMappingList: list });
      }

      case 's3api head-bucket':
        if (!state.buckets[opt('--bucket')!]) fail('\nAn error occurred (404) when calling the HeadBucket operation: Not Found');
        return out(undefined);
      case 's3api list-object-versions': {
        const bucket = state.buckets[opt('--bucket')!];
        if (!bucket) awsError('NoSuchBucket', 'ListObjectVersions', 'The specified bucket does not exist');
        const max = Number(opt('--max-items') ?? 1000);
        const n = Math.min(bucket.objects, max);
        // Half versions, half delete markers, like a versioned bucket after some deletes.
        const versions = Array.from({ length: Math.ceil(n / 2) }, (_, i) => ({ Key: `k${i}`, VersionId: `v${i}`, IsLatest: true }));
        const markers = Array.from({ length: Math.floor(n / 2) }, (_, i) => ({ Key: `m${i}`, VersionId: `d${i}`, IsLatest: true }));
        return out(n === 0 ? {} : { Versions: versions, DeleteMarkers: markers, ...(bucket.objects > max ? { NextToken: 'more' } : {}) });
      }
      case 's3api delete-objects': {
        const bucket = state.buckets[opt('--bucket')!];
        if (!bucket) awsError('NoSuchBucket', 'DeleteObjects', 'The specified bucket does not exist');
        const file = (opt('--delete') ?? '').replace(/^file:\/\//, '');
        const body = JSON.parse(fs.readFileSync(path.resolve(cwd, file), 'utf8')) as { Objects: { Key: string; VersionId: string }[] };
        if (body.Objects.length > 1000) awsError('MalformedXML', 'DeleteObjects', 'more than 1000 keys');
        bucket.objects -= body.Objects.length;
        return out({});
      }
      case 's3api delete-bucket': {
        const name = opt('--bucket')!;
        const bucket = state.buckets[name];
        if (!bucket) awsError('NoSuchBucket', 'DeleteBucket', 'The specified bucket does not exist');
        if (bucket.objects > 0) awsError('BucketNotEmpty', 'DeleteBucket', 'The bucket you tried to delete is not empty');
        delete state.buckets[name];
        return out(undefined);
      }

      case 'rds describe-db-clusters': {
        const id = opt('--db-cluster-identifier')!;
        const cluster = state.clusters[key(id)];
        if (!cluster) awsError('DBClusterNotFoundFault', 'DescribeDBClusters', `DBCluster ${id} not found.`);
        return out({
          DBClusters: [
            { DBClusterIdentifier: id, DBClusterArn: cluster.arn, DeletionProtection: cluster.deletionProtection, Status: 'available' },
          ],
        });
      }
      case 'rds describe-global-clusters': {
        const g = state.globalCluster;
        if (!g || g.id !== opt('--global-cluster-identifier'))
          awsError('GlobalClusterNotFoundFault', 'DescribeGlobalClusters', 'Global cluster not found');
        for (const arn of Object.keys(state.pendingRemovals)) {
          state.pendingRemovals[arn] -= 1;
          if (state.pendingRemovals[arn] <= 0) {
            g.members = g.members.filter((m) => m.arn !== arn);
            delete state.pendingRemovals[arn];
          }
        }
        return out({
          GlobalClusters: [
            {
              GlobalClusterIdentifier: g.id,
              GlobalClusterArn: g.arn,
              GlobalClusterMembers: g.members.map((m) => ({ DBClusterArn: m.arn, IsWriter: m.writer, Readers: [] })),
            },
          ],
        });
      }
      case 'rds remove-from-global-cluster': {
        const g = state.globalCluster;
        const arn = opt('--db-cluster-identifier')!;
        if (!g) awsError('GlobalClusterNotFoundFault', 'RemoveFromGlobalCluster', 'Global cluster not found');
        const member = g.members.find((m) => m.arn === arn);
        if (!member) awsError('DBClusterNotFoundFault', 'RemoveFromGlobalCluster', `${arn} is not a member`);
        if (arn.split(':')[3] !== region)
          awsError('InvalidParameterValue', 'RemoveFromGlobalCluster', 'call it in the region of the member');
        if (member.writer && g.members.length > 1)
          awsError('InvalidGlobalClusterStateFault', 'RemoveFromGlobalCluster', 'the writer cannot be removed while secondaries exist');
        state.pendingRemovals[arn] = state.removalLag;
        if (state.removalLag <= 0) g.members = g.members.filter((m) => m.arn !== arn);
        return out({});
      }
      case 'rds delete-global-cluster': {
        const g = state.globalCluster;
        if (!g) awsError('GlobalClusterNotFoundFault', 'DeleteGlobalCluster', 'Global cluster not found');
        if (g.members.length > 0) awsError('InvalidGlobalClusterStateFault', 'DeleteGlobalCluster', 'global cluster has members');
        state.globalCluster = null;
        return out({});
      }

      case 'ssm get-parameter': {
        const value = state.ssm[key(opt('--name')!)];
        if (value === undefined) awsError('ParameterNotFound', 'GetParameter', '');
        return out({ Parameter: { Name: opt('--name'), Value: value } });
      }
      case 'ssm delete-parameter': {
        if (state.ssm[key(opt('--name')!)] === undefined) awsError('ParameterNotFound', 'DeleteParameter', '');
        delete state.ssm[key(opt('--name')!)];
        return out(undefined);
      }
      case 'cognito-idp list-user-pool-clients':
        return out({ UserPoolClients: [{ ClientId: 'client123', UserPoolId: opt('--user-pool-id'), ClientName: 'ToDoMgmt' }] });
      case 'codecommit get-repository': {
        const repo = opt('--repository-name')!;
        if (!state.repositories.includes(key(repo))) awsError('RepositoryDoesNotExistException', 'GetRepository', `${repo} does not exist`);
        return out({ repositoryMetadata: { repositoryName: repo } });
      }
      case 'codecommit list-repositories':
        // Reading is open to every account; only CreateRepository refuses new customers (OperationNotAllowedException).
        return out({
          repositories: state.repositories
            .filter((r) => r.startsWith(`${region}/`))
            .map((r, i) => ({ repositoryName: r.slice(region.length + 1), repositoryId: `id-${i}` })),
        });
      case 'codeconnections get-connection':
      case 'codestar-connections get-connection': {
        const arn = opt('--connection-arn')!;
        const status = state.connections[arn];
        if (!status || arn.split(':')[2] !== service) awsError('ResourceNotFoundException', 'GetConnection', `Connection ${arn} not found`);
        return out({
          Connection: {
            ConnectionName: 'todomgmt-github',
            ConnectionArn: arn,
            ProviderType: 'GitHub',
            OwnerAccountId: state.account,
            ConnectionStatus: status,
          },
        });
      }
      default:
        fail(`stub aws: unhandled call: ${line}`, 2);
    }
  }

  function deleteStack(region: string, stackName: string): void {
    const key = `${region}/${stackName}`;
    const stack = state.stacks[key];
    if (!stack) return; // CloudFormation: deleting a stack that does not exist succeeds
    const failWith = (reason: string) => {
      stack.status = 'DELETE_FAILED';
      stack.reason = reason;
    };
    if ((stack.deleteFailures ?? 0) > 0) {
      stack.deleteFailures! -= 1;
      return failWith('injected failure');
    }
    const resources = stack.resources ?? [];
    for (const r of resources) {
      if (r.type === 'AWS::S3::Bucket' && !r.retain && (state.buckets[r.physicalId]?.objects ?? 0) > 0) {
        return failWith(`The bucket you tried to delete is not empty (${r.physicalId})`);
      }
      if (r.type === 'AWS::RDS::DBCluster') {
        const arn = state.clusters[`${region}/${r.physicalId}`]?.arn;
        const g = state.globalCluster;
        // RDS: "This cluster is a part of a global cluster, please remove it from globalcluster first".
        if (arn && g && g.members.some((m) => m.arn === arn)) {
          return failWith(
            `InvalidDBClusterStateFault: ${r.physicalId} is a part of a global cluster, please remove it from globalcluster first`,
          );
        }
      }
    }
    for (const r of resources.filter((x) => !x.retain)) {
      if (r.type === 'AWS::S3::Bucket') delete state.buckets[r.physicalId];
      if (r.type === 'AWS::RDS::DBCluster') {
        const arn = state.clusters[`${region}/${r.physicalId}`]?.arn;
        delete state.clusters[`${region}/${r.physicalId}`];
        if (state.globalCluster) state.globalCluster.members = state.globalCluster.members.filter((m) => m.arn !== arn);
      }
    }
    for (const r of resources.filter((x) => !x.retain)) {
      if (r.type === 'AWS::RDS::GlobalCluster') {
        if ((state.globalCluster?.members.length ?? 0) > 0) return failWith('InvalidGlobalClusterStateFault: global cluster has members');
        state.globalCluster = null;
      }
    }
    delete state.stacks[key];
  }

  // ---------------------------------------------------------------------------------------------
  function cdk(cdkArgs: string[]): never {
    const [command] = cdkArgs;
    switch (command) {
      case 'synth':
        fs.mkdirSync(path.join(cwd, 'cdk.out'), { recursive: true });
        return out(undefined);
      case 'list':
        // Like `cdk list --long --json` of the whole app: stage stacks print as "<path> (<stack name>)".
        return out(
          state.cdkApp.map((s: CdkStack) => ({
            id: s.id === s.name ? s.id : `${s.id} (${s.name})`,
            name: s.name,
            environment: { account: state.account, region: s.region, name: `aws://${state.account}/${s.region}` },
          })),
        );
      case 'bootstrap': {
        const env = cdkArgs.find((a) => a.startsWith('aws://'))!;
        const region = env.split('/')[3];
        state.stacks[`${region}/CDKToolkit`] = { status: 'CREATE_COMPLETE', resources: [] };
        return out(undefined);
      }
      case 'deploy': {
        const id = cdkArgs.find(
          (a, i) => i > 0 && !a.startsWith('-') && cdkArgs[i - 1] !== '--app' && cdkArgs[i - 1] !== '--require-approval',
        );
        const stack = state.cdkApp.find((s) => s.id === id);
        if (!stack) fail(`No stacks match the name(s) ${id}`, 1);
        const key = `${stack.region}/${stack.name}`;
        const existing = state.stacks[key];
        state.stacks[key] = {
          status: existing ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE',
          outputs: stack.outputs,
          resources: stack.resources,
        };
        for (const r of stack.resources ?? []) {
          if (r.type === 'AWS::S3::Bucket' && !state.buckets[r.physicalId])
            state.buckets[r.physicalId] = { region: stack.region, objects: 0, stackTag: stack.name };
        }
        return out(undefined);
      }
      default:
        fail(`stub cdk: unhandled call: ${line}`, 2);
    }
  }

  switch (name) {
    case 'aws':
      return aws();
    case 'npx':
      if (args[0] === 'cdk') return cdk(args.slice(1));
      return fail(`stub npx: unhandled call: ${line}`, 2);
    case 'node':
      if (args[0] === '--version') throw new Exit({ code: 0, stdout: `${options.nodeVersion}\n`, stderr: '' });
      if (DESCRIBE_APP.every((a, i) => args[i] === a)) {
        // The repository's program, in-process: the sandbox has no node_modules to run it with.
        const rest = args.slice(DESCRIBE_APP.length).map((a, i, all) => (all[i - 1] === '--env-file' ? path.resolve(cwd, a) : a));
        throw new Exit(describeAppCli(rest, {}));
      }
      throw new Exit({ code: 0, stdout: '', stderr: '', exec: [process.execPath, ...args] });
    case 'git':
      throw new Exit({
        code: 0,
        stdout: '',
        stderr: '',
        exec: [
          options.git,
          ...args.map((a) => (/^(codecommit::|https:\/\/git-codecommit\.)/.test(a) ? (options.gitRemote ?? '/nonexistent') : a)),
        ],
      });
    default:
      // npm, git-remote-codecommit: recorded, nothing else.
      return out(undefined);
  }
}
