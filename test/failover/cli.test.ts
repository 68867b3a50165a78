// The CLI's flag contract (used by the failover pipeline and deploy scripts) and its guards.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCliArgs } from '#failover/args';
import { confirmOnTerminal, main, startupOf } from '#failover/cli';
import { overridesFromEnv } from '#failover/aws/overrides';
import { writeReport, type FailoverReport } from '#failover/report';
import { CHECKOUT_DRIVERS } from '../../util/failover';
import { MemoryDriver } from './memory-driver';

describe('failover CLI', () => {
  test('parses every contract flag', () => {
    expect(
      parseCliArgs([
        '--mode',
        'failover',
        '--to',
        'us-east-2',
        '--dry-run',
        '--yes',
        '--force',
        '--no-wait',
        '--report',
        'out/r.json',
        '--local',
        '--max-lag-seconds',
        '2.5',
        '--traffic',
        'origin-swap',
      ]),
    ).toEqual({
      mode: 'failover',
      to: 'us-east-2',
      dryRun: true,
      yes: true,
      force: true,
      wait: false,
      traffic: 'origin-swap',
      report: 'out/r.json',
      local: true,
      maxLagSeconds: 2.5,
      help: false,
    });
    expect(parseCliArgs([])).toMatchObject({ mode: undefined, dryRun: false, yes: false, wait: true, traffic: 'kvs', local: false });
    // The pipeline passes `--mode "$FAILOVER_MODE" --to "$FAILOVER_TO"`; empty pipeline variables mean defaults.
    expect(parseCliArgs(['--mode', '', '--to', ' '])).toMatchObject({ mode: undefined, to: undefined });
  });

  test('bad flags are usage errors that say what is wrong', () => {
    expect(() => parseCliArgs(['--mode', 'breakcluster'])).toThrow('--mode breakcluster is not a mode: use switchover | failover | detach');
    expect(() => parseCliArgs(['--bogus'])).toThrow(/Unknown option '--bogus'/);
    expect(() => parseCliArgs(['--max-lag-seconds', 'soon'])).toThrow('--max-lag-seconds soon is invalid');
    expect(() => parseCliArgs(['--traffic', 'dns'])).toThrow('--traffic dns is unknown: use kvs | origin-swap');
  });

  test('without a terminal, confirmation is refused with the way out', async () => {
    const isTTY = process.stdin.isTTY;
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
      await expect(confirmOnTerminal('Proceed? [y/N] ')).resolves.toBe(false);
      expect(errors.mock.calls[0][0]).toMatch(/No terminal to confirm on: pass --yes/);
    } finally {
      Object.defineProperty(process.stdin, 'isTTY', { value: isTTY, configurable: true });
      errors.mockRestore();
    }
  });

  test('--local: the program on its own says to use a checkout (exit 2); given a local driver, it runs that', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const logs = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await expect(main(['--local', '--dry-run'])).resolves.toBe(2);
      expect(errors.mock.calls[0][0]).toMatch(/run `npm run failover -- --local` from a checkout/);

      const driver = new MemoryDriver();
      await expect(main(['--local', '--dry-run', '--mode', 'switchover'], { local: () => Promise.resolve(driver) })).resolves.toBe(0);
      expect(driver.calls).toEqual(['discover', 'lag']);
      expect(logs.mock.calls.map(([line]) => String(line))).toContainEqual(expect.stringMatching(/^Outcome: dry-run in /));
    } finally {
      errors.mockRestore();
      logs.mockRestore();
    }
  });

  test("a checkout's npm run failover (util/failover.ts) offers the local rehearsal's driver", async () => {
    // Creating it reads .env and paths only; running it needs the rehearsal (test/local does that).
    const driver = await CHECKOUT_DRIVERS.local!();
    expect(driver.name).toBe('local');
    expect(driver.modes).toEqual(['switchover', 'failover']);
  });

  test('exit status: 0 done or dry run, 1 failed part-way, 2 refused, not confirmed or bad usage', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const logs = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const isTTY = process.stdin.isTTY;
    Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
    const status = (argv: string[], driver = new MemoryDriver()) =>
      main(['--local', '--mode', 'switchover', ...argv], { local: () => Promise.resolve(driver) });
    try {
      await expect(status(['--yes'])).resolves.toBe(0);
      await expect(status(['--dry-run'])).resolves.toBe(0);
      const failing = Object.assign(new MemoryDriver(), { failOn: 'promote' });
      await expect(status(['--yes'], failing)).resolves.toBe(1);
      const lagging = Object.assign(new MemoryDriver(), { lag: 60 });
      await expect(status(['--yes'], lagging)).resolves.toBe(2);
      // No terminal to confirm on: not confirmed.
      await expect(status([])).resolves.toBe(2);
      await expect(status(['--to', 'mars-1'])).resolves.toBe(2);
      // A usage error found inside the run (here: no single writer to start from) is refused, not a failure.
      const ambiguous = new MemoryDriver();
      ambiguous.discover = async (request) => {
        const t = await MemoryDriver.prototype.discover.call(ambiguous, request);
        return { ...t, regions: { pri: { ...t.regions.pri, isWriter: true }, secd: { ...t.regions.secd, isWriter: true } } };
      };
      await expect(status(['--yes'], ambiguous)).resolves.toBe(2);
      await expect(main(['--bogus'])).resolves.toBe(2);
      await expect(main(['--help'])).resolves.toBe(0);
      expect(errors.mock.calls.map(([line]) => String(line))).toContainEqual(
        expect.stringContaining("--to mars-1 is not one of this deployment's regions"),
      );
      // Anything else is the program's or the environment's fault: exit 1 with the stack.
      await expect(main(['--local'], { local: () => Promise.reject(new Error('rehearsal state is corrupt')) })).resolves.toBe(1);
      expect(String(errors.mock.calls.at(-1)?.[0])).toMatch(/^Error: rehearsal state is corrupt\n\s+at /);
    } finally {
      Object.defineProperty(process.stdin, 'isTTY', { value: isTTY, configurable: true });
      errors.mockRestore();
      logs.mockRestore();
    }
  });

  test('article env vars: pri = SRC_*, secd = TARGET_* and the new origin; hosts are validated', () => {
    expect(
      overridesFromEnv({
        SRC_CLUSTER_ID: 'a',
        TARGET_CLUSTER_ID: 'b',
        SRC_RDS_PROXY_NAME: 'pa',
        TARGET_RDS_PROXY_NAME: 'pb',
        CLOUDFRONT_DISTRIBUTION_ID: 'E1',
        CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME: 'x.execute-api.us-east-2.amazonaws.com',
      }),
    ).toEqual({
      clusterId: { pri: 'a', secd: 'b' },
      proxyName: { pri: 'pa', secd: 'pb' },
      apiOriginDomain: { secd: 'x.execute-api.us-east-2.amazonaws.com' },
      distributionId: 'E1',
    });
    expect(() => overridesFromEnv({ CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME: 'https://x.example.com/prod' })).toThrow(/must be a bare host name/);
  });

  test('startup: seconds from the process start, and from the build start when CodeBuild gives it, to the first call', () => {
    const now = Date.now();
    const startup = startupOf(now, String(now - 12_345));
    expect(startup.firstCallSinceBuildStartSeconds).toBe(12.35);
    expect(startup.firstCallSeconds).toBeGreaterThan(0);
    expect(startup.node).toBe(process.version);
    expect(startupOf(undefined, undefined)).toEqual({
      firstCallSeconds: undefined,
      firstCallSinceBuildStartSeconds: undefined,
      node: process.version,
    });
    expect(startupOf(now, 'not-a-time').firstCallSinceBuildStartSeconds).toBeUndefined();
  });

  test('the report is written where asked, creating the directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'failover-report-'));
    try {
      const file = path.join(dir, 'nested', 'report.json');
      const report = { tool: 'todomgmt-failover', mode: 'switchover', steps: [] } as unknown as FailoverReport;
      writeReport(file, report);
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(report);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
