// Runs the repository's scripts in a throwaway copy of the project, with a PATH that holds the
// system tools minus everything the scripts talk to (aws, node, npm, npx, jq, git, ...), plus stubs
// for those. A stub is a few lines of bash that hands its argv to this process over a loopback
// socket (bash's /dev/tcp: no extra tool, ~5 ms a call instead of a node start-up), where
// fake/fake-commands.ts records the call and answers from the fake account.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { callLine, DESCRIBE_APP, fakeCall, type CallOptions } from './fake/fake-commands';
import { ACCOUNT, clusterArn, PRI, SECD, type CdkStack, type FakeState } from './fake/state';

export const REPO = path.resolve(__dirname, '..', '..');
export const SCRIPTS = ['deploy.sh', 'delete.sh', 'local_codecommit_setup.sh'] as const;
export type Tool = 'aws' | 'jq' | 'node' | 'npm' | 'npx' | 'git' | 'git-remote-codecommit';
const STUBBED: readonly Tool[] = ['aws', 'node', 'npm', 'npx', 'git', 'git-remote-codecommit'];
const HIDDEN = new Set<string>([...STUBBED, 'jq', 'cdk', 'nodejs', 'corepack', 'pip', 'pip3']);
const SYSTEM_DIRS = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** A system tool the tests need (CI installs jq and git with apt-get). */
export function systemTool(name: string): string {
  const found = SYSTEM_DIRS.map((d) => path.join(d, name)).find((f) => fs.existsSync(f));
  if (!found) throw new Error(`${name} is not installed: the script tests need it (apt-get install ${name})`);
  return found;
}

export const DOTENV = `# test .env
AWS_SRC_REGION=${PRI}
AWS_DEST_REGION=${SECD}
AWS_ACCOUNT=
VPC_CIDR_RANGE=10.0.0.0/16
DB_DELETION_PROTECTION=false
COGNITO_DOMAIN_PREFIX=todomgmt-dev-api # the account id is appended
FAILOVER_MODE=switchover
`;

/** The app as cdk sees it: ids, names and regions per assets/common/names.ts, with outputs and buckets. */
export const CDK_APP: CdkStack[] = [
  { id: 'ToDoMgmt', name: 'ToDoMgmt', region: PRI, resources: [{ type: 'AWS::S3::Bucket', physicalId: 'todomgmt-pipeline-artifacts' }] },
  {
    id: 'ToDoMgmt/PriDeploy/ToDoMgmt-infra-pri',
    name: 'ToDoMgmt-infra-pri',
    region: PRI,
    resources: [
      { type: 'AWS::RDS::DBCluster', physicalId: 'todomgmt-infra-pri-db-cluster' },
      { type: 'AWS::RDS::GlobalCluster', physicalId: 'todomgmt-global-db-cluster' },
    ],
  },
  {
    id: 'ToDoMgmt/PriDeploy/ToDoMgmt-app-pri',
    name: 'ToDoMgmt-app-pri',
    region: PRI,
    outputs: [
      { OutputKey: 'CloudfrontUrlA1B2C3', OutputValue: 'd1example.cloudfront.net' },
      { OutputKey: 'ApiEndpoint', OutputValue: 'https://abc.execute-api.us-east-1.amazonaws.com/prod/' },
      { OutputKey: 'TokenUrl', OutputValue: `https://todomgmt-dev-api-${ACCOUNT}.auth.${PRI}.amazoncognito.com/oauth2/token` },
      { OutputKey: 'UserPoolId', OutputValue: 'us-east-1_Pool123' },
      { OutputKey: 'UserPoolClientId', OutputValue: 'client123' },
    ],
    resources: [{ type: 'AWS::S3::Bucket', physicalId: 'todomgmt-app-pri-edge-logs', retain: true }],
  },
  {
    id: 'ToDoMgmt/SecdDeploy/ToDoMgmt-infra-secd',
    name: 'ToDoMgmt-infra-secd',
    region: SECD,
    resources: [{ type: 'AWS::RDS::DBCluster', physicalId: 'todomgmt-infra-secd-db-cluster' }],
  },
  { id: 'ToDoMgmt/SecdDeploy/ToDoMgmt-app-secd', name: 'ToDoMgmt-app-secd', region: SECD },
  {
    id: 'ToDoMgmt-failover',
    name: 'ToDoMgmt-failover',
    region: PRI,
    resources: [{ type: 'AWS::S3::Bucket', physicalId: 'todomgmt-failover-artifacts', retain: true }],
  },
  {
    id: 'ToDoMgmt-failover-secd',
    name: 'ToDoMgmt-failover-secd',
    region: SECD,
    resources: [{ type: 'AWS::S3::Bucket', physicalId: 'todomgmt-failover-secd-artifacts', retain: true }],
  },
];
export const DEPLOY_ORDER = CDK_APP.map((s) => s.id);

const bootstrapStack = (region: string) => ({
  status: 'CREATE_COMPLETE',
  resources: [{ type: 'AWS::S3::Bucket' as const, physicalId: `cdk-hnb659fds-assets-${ACCOUNT}-${region}`, retain: true }],
});

/** A fresh account: both regions bootstrapped, nothing of the app deployed. */
export function freshState(): FakeState {
  return {
    account: ACCOUNT,
    bootstrapVersion: 28,
    stacks: { [`${PRI}/CDKToolkit`]: bootstrapStack(PRI), [`${SECD}/CDKToolkit`]: bootstrapStack(SECD) },
    globalCluster: null,
    removalLag: 2,
    pendingRemovals: {},
    clusters: {},
    buckets: {
      [`cdk-hnb659fds-assets-${ACCOUNT}-${PRI}`]: { region: PRI, objects: 3, stackTag: 'CDKToolkit' },
      [`cdk-hnb659fds-assets-${ACCOUNT}-${SECD}`]: { region: SECD, objects: 3, stackTag: 'CDKToolkit' },
      // Not created by the app: must survive every teardown.
      'todomgmt-someone-elses-bucket': { region: PRI, objects: 7 },
    },
    cdkApp: CDK_APP,
    ssm: { [`${PRI}//todomgmt/pri/user-pool-id`]: 'us-east-1_Pool123' },
    repositories: [`${PRI}/ToDoMgmtRepo`],
    connections: {},
    unreachable: [],
  };
}

/** Everything deployed, with data in the buckets; the writer in `writer`. */
export function deployedState(writer: 'pri' | 'secd' = 'pri'): FakeState {
  const state = freshState();
  const support = `ToDoMgmt-support-${SECD}`;
  for (const s of CDK_APP) {
    state.stacks[`${s.region}/${s.name}`] = { status: 'CREATE_COMPLETE', outputs: s.outputs, resources: s.resources };
    for (const r of s.resources ?? []) {
      if (r.type === 'AWS::S3::Bucket') state.buckets[r.physicalId] = { region: s.region, objects: 4, stackTag: s.name };
    }
  }
  state.stacks[`${SECD}/${support}`] = {
    status: 'CREATE_COMPLETE',
    resources: [{ type: 'AWS::S3::Bucket', physicalId: 'todomgmt-support-replication' }],
  };
  state.buckets['todomgmt-support-replication'] = { region: SECD, objects: 2, stackTag: support };
  // More than one delete-objects page.
  state.buckets['todomgmt-failover-artifacts'].objects = 2345;
  const pri = clusterArn(PRI, 'todomgmt-infra-pri-db-cluster');
  const secd = clusterArn(SECD, 'todomgmt-infra-secd-db-cluster');
  state.clusters[`${PRI}/todomgmt-infra-pri-db-cluster`] = { arn: pri, deletionProtection: false };
  state.clusters[`${SECD}/todomgmt-infra-secd-db-cluster`] = { arn: secd, deletionProtection: false };
  state.globalCluster = {
    id: 'todomgmt-global-db-cluster',
    arn: `arn:aws:rds::${ACCOUNT}:global-cluster:cluster-abc`,
    members: [
      { arn: pri, writer: writer === 'pri' },
      { arn: secd, writer: writer === 'secd' },
    ],
  };
  return state;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Stub calls of this run, one "<command> <args...>" per line. */
  readonly calls: string[];
}

export interface RunOptions {
  readonly input?: string;
  readonly env?: Record<string, string>;
}

// The stub: sends argc, then cwd, name and argv NUL-separated; reads back "<code> <out bytes> <err
// bytes>", stdout, stderr and, for code "exec", the argv of a program to exec instead. Only bash
// builtins: every fork counts on a busy CI machine.
const STUB = (name: string, port: number) => `#!/bin/bash
LC_ALL=C
exec 3<>/dev/tcp/127.0.0.1/${port}
printf '%s\\n' "$#" >&3
printf '%s\\0' "$PWD" ${name} "$@" >&3
IFS=' ' read -r code outlen errlen <&3
out='' err=''
if ((outlen > 0)); then IFS= read -r -N "$outlen" out <&3; fi
if ((errlen > 0)); then IFS= read -r -N "$errlen" err <&3; fi
printf '%s' "$out"
printf '%s' "$err" >&2
if [[ "$code" == exec ]]; then
  argv=()
  while IFS= read -r -d '' arg <&3; do argv+=("$arg"); done
  exec 3>&-
  exec "\${argv[@]}"
fi
exit "$code"
`;

/** Mutating calls: none of these may appear in a dry run or a refused run. */
export const MUTATING = new RegExp(
  '^(' +
    [
      'npm (ci|install|run)',
      'npx cdk (deploy|bootstrap|destroy|synth)',
      'aws (cloudformation (delete-stack|create|update|deploy)|rds (remove-from|delete|modify)|s3api (delete|put)|s3 rm)',
      'git (push|commit)',
    ].join('|') +
    ')',
);

export class Sandbox {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-scripts-'));
  readonly project = path.join(this.dir, 'project');
  readonly bin = path.join(this.dir, 'bin');
  readonly sys = path.join(this.dir, 'sys');
  /** The fake account; tests change it between runs and read it afterwards. */
  state: FakeState;
  /** Every stub call of every run, in order. */
  readonly calls: string[] = [];
  options: CallOptions = { failOn: [], nodeVersion: 'v20.20.2', git: systemTool('git') };
  private server: net.Server | undefined;
  private port = 0;

  private constructor(state: FakeState) {
    this.state = state;
  }

  /** The call with which a script reads .env and the app's names (common.sh describe_app). */
  get describeAppCall(): string {
    return callLine('node', [...DESCRIBE_APP, '--env-file', path.join(this.project, '.env')]);
  }

  static async create(tools: readonly Tool[] = ['aws', 'jq', 'node', 'npm', 'npx'], state: FakeState = freshState()): Promise<Sandbox> {
    const sandbox = new Sandbox(state);
    await sandbox.start(tools);
    return sandbox;
  }

  private async start(tools: readonly Tool[]): Promise<void> {
    for (const d of [this.project, this.bin, this.sys]) fs.mkdirSync(d, { recursive: true });
    for (const script of SCRIPTS) fs.copyFileSync(path.join(REPO, script), path.join(this.project, script));
    for (const script of SCRIPTS) fs.chmodSync(path.join(this.project, script), 0o755);
    fs.mkdirSync(path.join(this.project, 'util', 'scripts'), { recursive: true });
    // The helpers the scripts source.
    for (const helper of ['common.sh', 'global-database.sh']) {
      fs.copyFileSync(path.join(REPO, 'util/scripts', helper), path.join(this.project, 'util/scripts', helper));
    }
    fs.writeFileSync(path.join(this.project, '.env'), DOTENV);
    for (const f of ['package.json', 'package-lock.json', 'cdk.json']) fs.writeFileSync(path.join(this.project, f), '{}\n');
    fs.mkdirSync(path.join(this.project, 'node_modules'));

    const seen = new Set<string>();
    for (const dir of SYSTEM_DIRS) {
      if (!fs.existsSync(dir)) continue;
      for (const entry of fs.readdirSync(dir)) {
        if (HIDDEN.has(entry) || seen.has(entry)) continue;
        seen.add(entry);
        fs.symlinkSync(path.join(dir, entry), path.join(this.sys, entry));
      }
    }

    this.server = net.createServer((socket) => {
      let buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        const newline = buffer.indexOf(0x0a);
        if (newline < 0) return;
        const argc = Number(buffer.subarray(0, newline).toString());
        const fields = buffer
          .subarray(newline + 1)
          .toString()
          .split('\0');
        if (fields.length < argc + 3) return; // cwd, name, argv, and the empty tail after the last NUL
        const [cwd, name, ...args] = fields.slice(0, argc + 2);
        socket.end(this.answer(cwd, name, args));
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    for (const tool of tools) this.addTool(tool);
  }

  private answer(cwd: string, name: string, args: string[]): Buffer {
    this.calls.push(callLine(name, args));
    let reply;
    try {
      reply = fakeCall(this.state, this.options, cwd, name, args);
    } catch (e) {
      reply = { code: 70, stdout: '', stderr: `fake crashed: ${(e as Error).stack}\n` };
    }
    const out = Buffer.from(reply.stdout);
    const err = Buffer.from(reply.stderr);
    const code = reply.exec ? 'exec' : String(reply.code);
    const exec = Buffer.from((reply.exec ?? []).map((a) => `${a}\0`).join(''));
    return Buffer.concat([Buffer.from(`${code} ${out.length} ${err.length}\n`), out, err, exec]);
  }

  addTool(tool: Tool): void {
    const target = path.join(this.bin, tool);
    if (tool === 'jq') fs.symlinkSync(systemTool('jq'), target);
    else fs.writeFileSync(target, STUB(tool, this.port), { mode: 0o755 });
  }

  removeTool(tool: Tool): void {
    fs.rmSync(path.join(this.bin, tool), { force: true });
  }

  async run(script: (typeof SCRIPTS)[number], args: readonly string[] = [], options: RunOptions = {}): Promise<RunResult> {
    const before = this.calls.length;
    const child = spawn(path.join(this.project, script), [...args], {
      cwd: this.dir,
      env: {
        PATH: `${this.bin}:${this.sys}`,
        HOME: this.dir,
        TMPDIR: this.dir,
        LANG: 'C.UTF-8',
        TODOMGMT_POLL_SECONDS: '0',
        ...options.env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    clearTimeout(timer);
    return { status, stdout, stderr, calls: this.calls.slice(before) };
  }

  async cleanup(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The stack ids of `cdk deploy` calls, in order. */
export const deployedIds = (calls: readonly string[]) =>
  calls
    .filter((c) => c.startsWith('npx cdk deploy'))
    .map((c) =>
      c.split(' ').find((a, i, all) => i > 2 && !a.startsWith('-') && all[i - 1] !== '--app' && all[i - 1] !== '--require-approval'),
    );

/** Stack names of delete-stack calls, as "<region>/<name>". */
export const deletedStacks = (calls: readonly string[]) =>
  calls
    .filter((c) => c.startsWith('aws cloudformation delete-stack'))
    .map((c) => {
      const a = c.split(' ');
      return `${a[a.indexOf('--region') + 1]}/${a[a.indexOf('--stack-name') + 1]}`;
    });
