// `npm run gameday -- ...`: measured RTO and RPO, against the local rehearsal or a deployment on AWS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig, loadLocalConfig, readEnv } from '#config';
import type { FailoverReport } from '#failover/report';
import { liveRuntime } from '../local/runtime';
import { statePaths } from '../local/state';
import { parseGameDayArgs, UsageError, USAGE, type LocalArgs, type RemoteArgs } from './args';
import { runGameDay, type GameDayOptions } from './gameday';
import { startOwnRehearsal, useRunningRehearsal, type LocalRehearsal } from './local-rehearsal';
import { failoverPipeline } from './pipeline';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseGameDayArgs(argv);
  if (args.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = path.resolve(args.out ?? path.join(REPO_ROOT, 'reports', `gameday-${stamp}`));
  const abort = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) {
      console.error('\nsecond interrupt: exiting now (a rehearsal of our own is killed on exit)');
      process.exit(130);
    }
    interrupted = true;
    console.error('\ninterrupted: stopping the traffic, then reading back and reporting (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const print = (line: string) => console.log(line);
  const common = {
    durationSeconds: args.durationSeconds,
    writers: args.writers,
    readers: args.readers,
    ratePerClient: args.ratePerClient,
    timeoutMs: args.timeoutMs,
    outDir,
    print,
    status: process.stdout.isTTY ? 'tty' : 'lines',
    signal: abort.signal,
  } satisfies Partial<GameDayOptions>;

  if (args.kind === 'remote') {
    const result = await runGameDay({ ...common, keepData: args.keepData, target: remoteTarget(args) });
    return result.report.passed ? 0 : 1;
  }
  const rehearsalLog: string[] = [];
  const rehearsal = await localRehearsal(args, rehearsalLog);
  try {
    const result = await runGameDay({
      ...common,
      ...(args.leadInSeconds === undefined ? {} : { leadInSeconds: args.leadInSeconds }),
      target: { kind: 'local', rehearsal, scenario: args.scenario },
    });
    return result.report.passed ? 0 : 1;
  } finally {
    if (rehearsal.ownedByGameDay) {
      print('stopping the rehearsal started for this game day...');
      await rehearsal.close();
      fs.mkdirSync(outDir, { recursive: true });
      fs.writeFileSync(path.join(outDir, 'rehearsal.log'), `${rehearsalLog.join('\n')}\n`);
    }
  }
}

async function localRehearsal(args: LocalArgs, log: string[]): Promise<LocalRehearsal> {
  if (args.useRunning) return useRunningRehearsal();
  const { stateDir } = loadLocalConfig(readEnv());
  if (liveRuntime(statePaths(stateDir).runtime)) {
    console.log(`note: a rehearsal runs at ${stateDir}; this game day starts its own (add --use-running to use that one instead)`);
  }
  console.log('starting a local rehearsal for this game day (temp state dir, free ports)...');
  return startOwnRehearsal((line) => log.push(line));
}

function remoteTarget(args: RemoteArgs): Extract<GameDayOptions['target'], { kind: 'remote' }> {
  const regions = args.pipelines.length > 0 ? loadConfig(readEnv()).regions : undefined;
  let failoverReport: FailoverReport | undefined;
  if (args.failoverReport) {
    const json = JSON.parse(fs.readFileSync(args.failoverReport, 'utf8')) as Partial<FailoverReport>;
    if (json.tool !== 'todomgmt-failover' || !Array.isArray(json.steps)) {
      throw new UsageError(
        `--failover-report ${args.failoverReport} is not a failover program report (npm run failover -- --report <file>)`,
      );
    }
    failoverReport = json as FailoverReport;
  }
  return {
    kind: 'remote',
    edgeUrl: args.url,
    tokenUrl: args.tokenUrl,
    clientId: args.clientId,
    clientSecret: args.clientSecret,
    pipelines: regions ? args.pipelines.map((role) => failoverPipeline(role, regions)) : [],
    ...(failoverReport ? { failoverReport } : {}),
  };
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
      else if (error instanceof ConfigError) console.error(error.message);
      else console.error(`error: ${error.message}`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
