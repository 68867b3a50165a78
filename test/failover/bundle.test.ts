// The bundle the failover pipelines run with `node` alone (assets/failover/bundling.ts): one file plus its
// source map, the AWS SDK inside, no node_modules next to it. Run here against a stand-in AWS endpoint
// that denies everything, to prove it reaches its first AWS call and reports how long that took.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleFailoverProgram, FAILOVER_BUNDLE_FILE } from '../../assets/failover/bundling';
import type { FailoverReport } from '#failover/report';

jest.setTimeout(60_000);

let dir: string;
let bundle: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'failover-bundle-'));
  bundle = bundleFailoverProgram(dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function runBundle(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // An empty environment but PATH: no .env, no AWS profile, nothing from this machine leaks in.
    const child = spawn(process.execPath, ['--enable-source-maps', bundle, ...args], { cwd: dir, env: { PATH: process.env.PATH, ...env } });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

test('one file plus its source map, the AWS SDK bundled in, runnable with node alone', async () => {
  expect(fs.readdirSync(dir).sort()).toEqual([FAILOVER_BUNDLE_FILE, `${FAILOVER_BUNDLE_FILE}.map`]);
  const code = fs.readFileSync(bundle, 'utf8');
  // Only Node's own modules stay outside (and the SDK's optional CRT signer, which it loads only for SigV4a).
  const external = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]).filter((m) => !m.startsWith('node:'));
  expect([...new Set(external)].sort()).toEqual(['@aws-sdk/signature-v4-crt', 'crypto', 'fs', 'os', 'path']);
  expect(code).toContain(`//# sourceMappingURL=${FAILOVER_BUNDLE_FILE}.map`);
  // The KeyValueStore client and the pure-JS SigV4A signer it needs are inside, the signer registered with the SDK.
  expect(code).toContain('cloudfront-kvs.global.api.aws');
  expect(code).toContain('AWS4-ECDSA-P256-SHA256');
  expect(code).toMatch(/static\{n\(this,"SignatureV4a"\)\}/);
  expect(code).toMatch(/\.SignatureV4a=\w+\}\);/);

  const help = await runBundle(['--help']);
  expect(help.code).toBe(0);
  // Started exactly once (a second main() would run a second failover next to the first).
  expect(help.out.match(/^Usage: npm run failover/gm)).toHaveLength(1);
  await expect(runBundle(['--bogus'])).resolves.toMatchObject({ code: 2 });
  // The bundle carries the AWS driver only: the rehearsal's needs a checkout.
  await expect(runBundle(['--local', '--dry-run'])).resolves.toMatchObject({ code: 2, out: expect.stringContaining('from a checkout') });
});

test('it reaches its first AWS call and reports the time from process start and from the build start', async () => {
  const targets: string[] = [];
  const server = http.createServer((req, res) => {
    targets.push(String(req.headers['x-amz-target']));
    req.resume();
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'AccessDeniedException' });
    res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'denied by the test endpoint' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const { code, out } = await runBundle(['--dry-run', '--mode', 'switchover', '--report', 'report.json'], {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
      AWS_SRC_REGION: 'us-east-1',
      AWS_DEST_REGION: 'us-east-2',
      CODEBUILD_START_TIME: String(Date.now() - 5_000),
    });
    // Denied before anything changed: the operator's to fix, so refused (2), with the action named.
    expect(code).toBe(2);
    expect(out).toContain('AccessDenied: the credentials in use may not call ssm:GetParametersByPath');
    expect(targets).toContain('AmazonSSM.GetParametersByPath');
    expect(out.match(/ discover \.\.\.$/gm)).toHaveLength(1);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as FailoverReport;
    expect(report.startup?.firstCallSeconds).toBeGreaterThan(0);
    expect(report.startup?.firstCallSinceBuildStartSeconds).toBeGreaterThan(report.startup!.firstCallSeconds!);
    expect(out).toMatch(/Startup: first AWS call \d+(\.\d+)? s after the process started \(\d+(\.\d+)? s after the build started\)/);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
