// `npm run failover -- ...`: what the failover pipeline's CodeBuild job runs, and what an operator runs
// by hand. Reads .env (through assets/common/config.ts), builds the AWS or the local driver, runs, writes the report.
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { ConfigError, loadConfig, readEnv } from '#config';
import { parseCliArgs, USAGE } from './args';
import { AwsFailoverDriver } from './aws/driver';
import { overridesFromEnv } from './aws/overrides';
import { realClock } from './clock';
import type { FailoverDriver } from './driver';
import { parseMode, UsageError } from './plan';
import { writeReport } from './report';
import { runFailover } from './run';

const EXIT = { ok: 0, failed: 1, refused: 2 } as const;

/** The local rehearsal's driver is written elsewhere and loaded only for --local, so this compiles without it. */
async function loadLocalDriver(): Promise<FailoverDriver> {
  const modulePath = path.join(__dirname, '..', '..', '..', 'util', 'local', 'failover-driver');
  let mod: { createLocalDriver?: () => Promise<FailoverDriver> };
  try {
    mod = await import(modulePath);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes('failover-driver')) {
      throw new UsageError(
        `--local needs the local rehearsal's driver at util/local/failover-driver.ts, which is missing from this checkout.`,
      );
    }
    throw error;
  }
  if (typeof mod.createLocalDriver !== 'function') {
    throw new UsageError('util/local/failover-driver.ts does not export createLocalDriver()');
  }
  return mod.createLocalDriver();
}

export async function confirmOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    console.error(
      'No terminal to confirm on: pass --yes (the failover pipeline does, after its manual approval), or --dry-run to see the plan only.',
    );
    return false;
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseCliArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const env = readEnv();
  let driver: FailoverDriver;
  let mode = args.mode;
  if (args.local) {
    driver = await loadLocalDriver();
    mode ??= env.FAILOVER_MODE ? parseMode(env.FAILOVER_MODE) : 'switchover';
  } else {
    const config = loadConfig(env);
    mode ??= config.failoverMode;
    driver = new AwsFailoverDriver({ regions: config.regions, overrides: overridesFromEnv(env) });
  }

  const report = await runFailover(driver, {
    mode,
    to: args.to,
    dryRun: args.dryRun,
    yes: args.yes,
    force: args.force,
    wait: args.wait,
    maxLagSeconds: args.maxLagSeconds,
    confirm: confirmOnTerminal,
    print: (line) => console.log(line),
    clock: realClock,
  });
  console.log(`Outcome: ${report.outcome} in ${report.totalSeconds} s${report.error ? ` (${report.error})` : ''}`);
  if (args.report) {
    writeReport(args.report, report);
    console.log(`Report: ${args.report}`);
  }
  switch (report.outcome) {
    case 'completed':
    case 'no-op':
    case 'dry-run':
      return EXIT.ok;
    case 'failed':
      return EXIT.failed;
    default:
      return EXIT.refused;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError || error instanceof ConfigError) {
        console.error(error.message);
        process.exit(EXIT.refused);
      }
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(EXIT.failed);
    },
  );
}
