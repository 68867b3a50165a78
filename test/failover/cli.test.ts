// The CLI's flag contract (used by the failover pipeline and deploy scripts) and its guards.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCliArgs } from '#failover/args';
import { confirmOnTerminal, main } from '#failover/cli';
import { overridesFromEnv } from '#failover/aws/overrides';
import { writeReport, type FailoverReport } from '#failover/report';

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
      ]),
    ).toEqual({
      mode: 'failover',
      to: 'us-east-2',
      dryRun: true,
      yes: true,
      force: true,
      wait: false,
      report: 'out/r.json',
      local: true,
      maxLagSeconds: 2.5,
      help: false,
    });
    expect(parseCliArgs([])).toMatchObject({ mode: undefined, dryRun: false, yes: false, wait: true, local: false });
    // The pipeline passes `--mode "$FAILOVER_MODE" --to "$FAILOVER_TO"`; empty pipeline variables mean defaults.
    expect(parseCliArgs(['--mode', '', '--to', ' '])).toMatchObject({ mode: undefined, to: undefined });
  });

  test('bad flags are usage errors that say what is wrong', () => {
    expect(() => parseCliArgs(['--mode', 'breakcluster'])).toThrow('--mode breakcluster is not a mode: use switchover | failover | detach');
    expect(() => parseCliArgs(['--bogus'])).toThrow(/Unknown option '--bogus'/);
    expect(() => parseCliArgs(['--max-lag-seconds', 'soon'])).toThrow('--max-lag-seconds soon is invalid');
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

  test('--local without the local driver module fails clearly (or loads it when present)', async () => {
    const modulePath = path.join(__dirname, '..', '..', 'util', 'local', 'failover-driver');
    if (fs.existsSync(`${modulePath}.ts`)) {
      // Running it needs the rehearsal's databases (its own tests do that); here: the contract is exported.
      expect(typeof (await import(modulePath)).createLocalDriver).toBe('function');
      return;
    }
    await expect(main(['--local', '--dry-run'])).rejects.toThrow(
      /--local needs the local rehearsal's driver at util\/local\/failover-driver\.ts/,
    );
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
