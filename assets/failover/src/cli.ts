// The failover program's command line. Started on its own (main.ts: the bundle the failover pipelines
// run) it knows only the AWS driver; a checkout's `npm run failover` goes through util/failover.ts,
// which adds the local rehearsal's driver for --local. Reads .env (through assets/common/config.ts)
// and the environment, runs, writes the report, and turns the end of the run into the exit status.
import { performance } from 'node:perf_hooks';
import * as readline from 'node:readline/promises';
import { ConfigError, loadConfig, readEnv } from '#config';
import { parseCliArgs, USAGE } from './args';
import { AwsFailoverDriver } from './aws/driver';
import { overridesFromEnv } from './aws/overrides';
import { realClock } from './clock';
import type { FailoverDriver } from './driver';
import { FailoverError, UsageError, type Fault } from './errors';
import { parseMode } from './modes';
import { writeReport, type FailoverReport, type RunOutcome } from './report';
import { runFailover } from './run';

/** Drivers besides AWS that the caller can offer; the program's own copy (CodeBuild) has none. */
export interface FailoverDrivers {
  /** The local two-region rehearsal, for --local. */
  readonly local?: () => Promise<FailoverDriver>;
}

/** How a run of the program can end. */
type Ending = RunOutcome | 'help';

/** The exit status contract of USAGE. */
const EXIT_STATUS: Readonly<Record<Ending, number>> = {
  help: 0,
  completed: 0,
  'no-op': 0,
  'dry-run': 0,
  failed: 1,
  refused: 2,
  declined: 2,
};
const EXIT_USER_ERROR = EXIT_STATUS.refused;
const EXIT_SYSTEM_ERROR = EXIT_STATUS.failed;

/** `.env` is validated by #config, whose ConfigError is the user's to fix like a bad flag. */
function faultOf(error: unknown): Fault {
  if (error instanceof FailoverError) return error.fault;
  if (error instanceof ConfigError) return 'user';
  return 'system';
}

export async function confirmOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    console.error(
      'No terminal to confirm on: pass --yes (the failover pipeline does, after its manual approval), ' +
        'or --dry-run to see the plan only.',
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

/** The AWS SDK v3 supports Node.js 20 and later; the pipeline's image default is checked here, not assumed. */
const MIN_NODE_MAJOR = 20;

/** Runs the program and returns its exit status; it does not throw. */
export async function main(argv: readonly string[], drivers: FailoverDrivers = {}): Promise<number> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < MIN_NODE_MAJOR) {
    console.error(`The failover program needs Node.js ${MIN_NODE_MAJOR} or later; this is ${process.version}.`);
    return EXIT_SYSTEM_ERROR;
  }
  try {
    return EXIT_STATUS[await run(argv, drivers)];
  } catch (error) {
    if (faultOf(error) === 'user') {
      console.error(error instanceof Error ? error.message : String(error));
      return EXIT_USER_ERROR;
    }
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    return EXIT_SYSTEM_ERROR;
  }
}

async function run(argv: readonly string[], drivers: FailoverDrivers): Promise<Ending> {
  const args = parseCliArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return 'help';
  }
  const env = readEnv();
  let driver: FailoverDriver;
  let mode = args.mode;
  if (args.local) {
    if (!drivers.local) {
      throw new UsageError(
        '--local needs the local rehearsal, which this copy of the failover program does not include: ' +
          'run `npm run failover -- --local` from a checkout of the repository.',
      );
    }
    driver = await drivers.local();
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
    traffic: args.traffic,
    maxLagSeconds: args.maxLagSeconds,
    confirm: confirmOnTerminal,
    print: (line) => console.log(line),
    clock: realClock,
    by: env.CODEBUILD_INITIATOR ?? 'by hand',
  });
  report.startup = startupOf(driver.firstCallAt(), env.CODEBUILD_START_TIME);
  console.log(`Outcome: ${report.outcome} in ${report.totalSeconds} s${report.error ? ` (${report.error})` : ''}`);
  if (report.startup.firstCallSeconds !== undefined) {
    const build = report.startup.firstCallSinceBuildStartSeconds;
    console.log(
      `Startup: first ${driver.name === 'aws' ? 'AWS call' : 'call'} ${report.startup.firstCallSeconds} s after the process started` +
        (build !== undefined ? ` (${build} s after the build started)` : ''),
    );
  }
  if (args.report) {
    writeReport(args.report, report);
    console.log(`Report: ${args.report}`);
  }
  return report.outcome ?? 'failed';
}

/**
 * How long the job took to reach its first AWS call: from this process's start (performance.timeOrigin)
 * and, in CodeBuild, from the build's start (CODEBUILD_START_TIME, epoch milliseconds).
 */
export function startupOf(firstCallAt: number | undefined, buildStartTime: string | undefined): NonNullable<FailoverReport['startup']> {
  const seconds = (from: number) => (firstCallAt === undefined ? undefined : Math.round((firstCallAt - from) / 10) / 100);
  const buildStart = Number(buildStartTime);
  return {
    firstCallSeconds: seconds(performance.timeOrigin),
    firstCallSinceBuildStartSeconds: buildStartTime && Number.isFinite(buildStart) ? seconds(buildStart) : undefined,
    node: process.version,
  };
}
