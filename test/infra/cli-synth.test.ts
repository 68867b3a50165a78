// `npx cdk synth` exactly as a user runs it, offline and without credentials: bin/app.ts reads .env,
// falls back to the placeholder account, and every stack of the system comes out.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PLACEHOLDER_ACCOUNT } from '#config';
import { REPO_ROOT } from './synth-app';

const run = promisify(execFile);

/** The child sees no AWS credentials, profile, config file or instance metadata: nothing to call AWS with. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AWS_|CDK_)/.test(key)) env[key] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: path.join(os.tmpdir(), 'todomgmt-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), 'todomgmt-no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

let outdir: string;
let assembly: CloudAssembly;
let output: string;

beforeAll(async () => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-cli-'));
  const result = await run('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--no-version-reporting', '-o', outdir], {
    cwd: REPO_ROOT,
    env: offlineEnv(),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 240_000,
  });
  output = `${result.stdout}\n${result.stderr}`;
  assembly = new CloudAssembly(outdir);
}, 300_000);
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

test('produces every stack of the system, in the right regions, for the placeholder account', () => {
  const stacks = Object.fromEntries(
    assembly.stacksRecursively.map((stack) => [
      stack.hierarchicalId,
      `${stack.stackName} ${stack.environment.account} ${stack.environment.region}`,
    ]),
  );
  expect(stacks).toMatchObject({
    ToDoMgmt: `ToDoMgmt ${PLACEHOLDER_ACCOUNT} us-east-1`,
    'ToDoMgmt/PriDeploy/ToDoMgmt-infra-pri': `ToDoMgmt-infra-pri ${PLACEHOLDER_ACCOUNT} us-east-1`,
    'ToDoMgmt/PriDeploy/ToDoMgmt-app-pri': `ToDoMgmt-app-pri ${PLACEHOLDER_ACCOUNT} us-east-1`,
    'ToDoMgmt/SecdDeploy/ToDoMgmt-infra-secd': `ToDoMgmt-infra-secd ${PLACEHOLDER_ACCOUNT} us-east-2`,
    'ToDoMgmt/SecdDeploy/ToDoMgmt-app-secd': `ToDoMgmt-app-secd ${PLACEHOLDER_ACCOUNT} us-east-2`,
    'ToDoMgmt-failover': `ToDoMgmt-failover ${PLACEHOLDER_ACCOUNT} us-east-1`,
    'ToDoMgmt-failover-secd': `ToDoMgmt-failover-secd ${PLACEHOLDER_ACCOUNT} us-east-2`,
  });
});

test('bundles the four functions of each region with everything inside but the runtime SDK', () => {
  const app = assembly.stacksRecursively.find((stack) => stack.hierarchicalId === 'ToDoMgmt/PriDeploy/ToDoMgmt-app-pri')!;
  const functions = Object.values(app.template.Resources as Record<string, { Type: string; Metadata?: Record<string, string> }>).filter(
    (resource) => resource.Type === 'AWS::Lambda::Function' && String(resource.Metadata?.['aws:cdk:path']).match(/\/Function\/Resource$/),
  );
  expect(functions).toHaveLength(4);
  for (const fn of functions) {
    const bundle = fs.readFileSync(path.join(app.assembly.directory, fn.Metadata!['aws:asset:path'], 'index.js'), 'utf8');
    // The RDS IAM token signer travels inside the bundle.
    expect(bundle).toMatch(/rds-db/);
    expect(bundle).not.toMatch(/require\("mysql2[^"]*"\)/);
    // Only SDK v3 clients the Lambda Node.js 22 runtime ships are left out, and only as plain requires
    // (found on the runtime's NODE_PATH; a dynamic import() would not be).
    expect(bundle).not.toMatch(/import\("(?!node:)/);
    const external = [...bundle.matchAll(/require\("(@aws-sdk\/[a-z-]+)"\)/g)].map((m) => m[1]);
    expect(external.filter((name) => name !== '@aws-sdk/client-secrets-manager')).toEqual([]);
    if (String(fn.Metadata!['aws:cdk:path']).includes('CreateTableFunction')) expect(external).toContain('@aws-sdk/client-secrets-manager');
  }
});

test('reports no unacknowledged finding and asks for no lookup', () => {
  expect(output).not.toMatch(/AwsSolutions-|Need to perform AWS calls|context lookup/i);
  expect(assembly.manifest.missing ?? []).toEqual([]);
});
