// `npm run local -- <command>`: the local two-region rehearsal. `./deploy.sh --local [arguments]` runs
// `npm run local -- [arguments]` (so `start` by default), `./delete.sh --local` runs `stop`.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';
import { ConfigError, loadLocalConfig, readEnv, type LocalConfig } from '#config';
import { EDGE_ORIGIN_KEY, REGION_ROLES, type RegionRole } from '#names';
import { readEdgeConfig } from './edge-config';
import { readKvs, selectOrigin } from './edge-kvs';
import { cognitoReplicaEnabled } from './token-replica';
import { describeRegion, edgeHint, inspectRegion } from './inspect';
import { findLeftovers } from './leftovers';
import { liveRuntime, type Endpoints, type RehearsalStatus } from './runtime';
import { loadSecrets } from './secrets';
import { isAlive, isSameProcess, signalQuietly, sleep, terminatePid } from './process-util';
import { isLiveSupervisor, looksLikeStateDir, prepareStateDir, readJson, readSupervisorPid, statePaths, type StatePaths } from './state';
import { controlRequest } from './control-socket';
import { AlreadyRunningError, Rehearsal } from './supervisor';
import { readTopology } from './topology';
import { walkthrough } from './walkthrough';

const USAGE = `Usage: npm run local -- <command>

  start [--detach]            start both regions, the token endpoint and the edge (default command, so
                              \`npm run local -- --detach\` is start --detach); stays in the foreground
                              until Ctrl-C, or runs in the background with --detach
  stop                        stop a running rehearsal and remove its state (${'LOCAL_STATE_DIR'}, default .local/)
  status [--json]             who writes, what runs, replication state, where the edge points
  kill-region <region>        disaster rehearsal: kill that region's database and API (SIGKILL)
  revive-region <region>      bring it back fenced: read-only, then writer or replica as the topology says
  invoke <Function> [json] [--region <region>]
                              run a function directly, like aws lambda invoke (default: the writer region)
  token                       print a fresh access token (for curl's Authorization header)

<region> is a role (pri, secd) or a region name from .env (AWS_SRC_REGION, AWS_DEST_REGION).
Ports and the state dir come from .env (LOCAL_*_PORT, LOCAL_STATE_DIR); 0 = any free port.
Fail over with: npm run failover -- --local [--mode switchover|failover] [--to <region>] [--yes]`;

class UsageError extends Error {}

/** start's own options; given without a command they mean start (`./deploy.sh --local --detach`). */
const START_OPTIONS: readonly string[] = ['--detach', '--supervise'];

function splitCommand(argv: readonly string[]): { readonly command: string; readonly rest: readonly string[] } {
  const [first] = argv;
  if (first === undefined || START_OPTIONS.includes(first)) return { command: 'start', rest: argv };
  return { command: first, rest: argv.slice(1) };
}

async function main(argv: readonly string[]): Promise<number> {
  const { command, rest } = splitCommand(argv);
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  const config = loadLocalConfig(readEnv());
  switch (command) {
    case 'start':
      return rest.includes('--supervise')
        ? supervise(config, false)
        : rest.includes('--detach')
          ? startDetached(config)
          : supervise(config, true);
    case 'stop':
      return stop(config);
    case 'status':
      return status(config, rest.includes('--json'));
    case 'kill-region':
    case 'revive-region':
      return regionAction(config, command === 'kill-region' ? 'kill' : 'revive', roleOf(config, rest[0]));
    case 'invoke':
      return invoke(config, rest);
    case 'token':
      return printToken(config);
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

function roleOf(config: LocalConfig, value: string | undefined): RegionRole {
  if (!value) throw new UsageError('give a region: pri, secd, or a region name from .env');
  const role = REGION_ROLES.find((r) => r === value || config.regions[r] === value);
  if (!role) throw new UsageError(`unknown region '${value}': use pri, secd, ${config.regions.pri} or ${config.regions.secd}`);
  return role;
}

/**
 * Foreground supervisor: the `start` command, and the body of a detached one (`--supervise`). Ctrl-C
 * (or SIGTERM from `stop`) stops everything in order, also while the start is still under way: the
 * databases run detached, so dying on the default signal action would leave them behind.
 */
async function supervise(config: LocalConfig, interactive: boolean): Promise<number> {
  const paths = statePaths(config.stateDir);
  const running = liveRuntime(paths.runtime);
  if (running) return alreadyRunning(config, running.supervisorPid);
  const starting = Rehearsal.start({ config, cognitoReplica: cognitoReplicaEnabled(readEnv()), log: (line) => console.log(line) });
  let signalled: NodeJS.Signals | undefined;
  const stopped = new Promise<number>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      if (signalled) {
        console.log(`${signal} again: forcing exit`);
        process.exit(130); // the rehearsal's exit hook kills what it started
      }
      signalled = signal;
      console.log(`\n${signal}: stopping the rehearsal...`);
      starting
        .then(
          (rehearsal) => rehearsal.stop(),
          () => undefined, // a failed start has already stopped what it began
        )
        .then(
          () => {
            console.log('stopped; no process left behind.');
            resolve(0);
          },
          (error: Error) => {
            console.error(`stop failed: ${error.message}`);
            resolve(1);
          },
        );
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
  });
  let rehearsal: Rehearsal;
  try {
    rehearsal = await starting;
  } catch (error) {
    if (signalled) return stopped;
    if (error instanceof AlreadyRunningError) return alreadyRunning(config, error.pid);
    throw error;
  }
  if (signalled) return stopped;
  console.log(walkthrough({ endpoints: rehearsal.endpoints, writer: readTopology(paths.topology)!.writer, stateDir: paths.root }));
  if (interactive) console.log('Running in the foreground: Ctrl-C stops everything (state is kept for the next start).');
  return stopped;
}

function alreadyRunning(config: LocalConfig, pid: number): number {
  const paths = statePaths(config.stateDir);
  const endpoints = readJson<Endpoints>(paths.endpoints);
  const topology = readTopology(paths.topology);
  console.log(`The local rehearsal already runs (supervisor pid ${pid}); not starting a second one.`);
  if (endpoints && topology) console.log(walkthrough({ endpoints, writer: topology.writer, stateDir: paths.root }));
  console.log('Stop it with: npm run local -- stop');
  return 0;
}

/** Starts a supervisor in the background and returns once it is healthy (or failed). */
async function startDetached(config: LocalConfig): Promise<number> {
  const paths = statePaths(config.stateDir);
  const running = liveRuntime(paths.runtime);
  if (running) return alreadyRunning(config, running.supervisorPid);
  prepareStateDir(paths.root);
  const logFd = fs.openSync(paths.supervisorLog, 'a', 0o600);
  const logStart = fs.fstatSync(logFd).size;
  const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), __filename, 'start', '--supervise'], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, LOCAL_STATE_DIR: paths.root },
  });
  fs.closeSync(logFd);
  child.unref();
  let exit: string | undefined;
  child.once('exit', (code, signal) => (exit = `exited (code ${code}, signal ${signal})`));
  const deadline = Date.now() + 240_000;
  console.log(`starting in the background (pid ${child.pid}, log ${paths.supervisorLog})...`);
  while (Date.now() < deadline) {
    const runtime = liveRuntime(paths.runtime);
    if (runtime?.supervisorPid === child.pid && fs.existsSync(paths.endpoints)) {
      const log = fs.readFileSync(paths.supervisorLog, 'utf8').slice(logStart);
      if (/ready in/.test(log)) {
        process.stdout.write(log.slice(log.indexOf('\nToDoMgmt local rehearsal') >= 0 ? log.indexOf('\nToDoMgmt local rehearsal') : 0));
        console.log(`Running in the background (supervisor pid ${child.pid}). Stop it with: npm run local -- stop`);
        return 0;
      }
    }
    if (exit) {
      const log = fs.readFileSync(paths.supervisorLog, 'utf8').slice(logStart);
      if (/already runs/.test(log)) {
        process.stdout.write(log);
        return 0;
      }
      console.error(`the supervisor ${exit} while starting:\n${log.trim().split('\n').slice(-30).join('\n')}`);
      return 1;
    }
    await sleep(200);
  }
  // Give up, and take back what was started: the supervisor stops its databases on SIGTERM.
  console.error(`not ready after 240 s; stopping it (see ${paths.supervisorLog})`);
  if (!exit && child.pid) {
    child.kill('SIGTERM');
    const stopDeadline = Date.now() + 30_000;
    while (!exit && Date.now() < stopDeadline) await sleep(100);
    if (!exit) child.kill('SIGKILL');
  }
  return 1;
}

/** Stops the supervisor (SIGTERM, it stops everything in order), sweeps leftovers, removes the state dir. */
async function stop(config: LocalConfig): Promise<number> {
  const paths = statePaths(config.stateDir);
  if (!fs.existsSync(paths.root)) {
    console.log(`nothing to stop: ${paths.root} does not exist`);
    return 0;
  }
  if (!looksLikeStateDir(paths.root)) {
    console.error(`${paths.root} does not look like a rehearsal state dir; not removing it`);
    return 1;
  }
  const supervisor = readSupervisorPid(paths.supervisorPid);
  if (supervisor && isLiveSupervisor(supervisor)) {
    console.log(`stopping the supervisor (pid ${supervisor.pid})...`);
    const stillThere = () => (supervisor.startTime === undefined ? isAlive(supervisor.pid) : isSameProcess(supervisor));
    signalQuietly(supervisor.pid, 'SIGTERM');
    const deadline = Date.now() + 60_000;
    while (stillThere() && Date.now() < deadline) await sleep(100);
    if (stillThere()) {
      console.log('it did not stop within 60 s: killing it');
      signalQuietly(supervisor.pid, 'SIGKILL');
    }
  } else if (supervisor && isAlive(supervisor.pid)) {
    // The pid file outlived its supervisor and the pid went to another process: never signal that one.
    console.log(`supervisor.pid names pid ${supervisor.pid}, which is not a rehearsal supervisor any more: leaving it alone`);
  }
  const leftovers = await stopLeftovers(paths);
  for (const line of leftovers) console.log(`stopped ${line}`);
  fs.rmSync(paths.root, { recursive: true, force: true });
  console.log(`stopped; removed ${paths.root}`);
  return 0;
}

/** What a killed supervisor or a failed start leaves behind (leftovers.ts); returns what it stopped. */
async function stopLeftovers(paths: StatePaths): Promise<string[]> {
  const stopped: string[] = [];
  for (const leftover of findLeftovers(paths)) {
    await terminatePid(leftover.pid, 20_000);
    stopped.push(`${leftover.what} (pid ${leftover.pid})`);
  }
  return stopped;
}

async function status(config: LocalConfig, asJson: boolean): Promise<number> {
  const paths = statePaths(config.stateDir);
  const runtime = liveRuntime(paths.runtime);
  const topology = readTopology(paths.topology);
  const configured = readEdgeConfig(paths.edge);
  const kvs = readKvs(paths.kvs);
  // What the edge serves from: the KeyValueStore key over the distribution's configured origin.
  const known = runtime ? REGION_ROLES.map((role) => ({ role, region: config.regions[role], url: runtime.regions[role].apiUrl })) : [];
  const edge = configured && { ...configured, origin: selectOrigin(configured.origin, kvs.items[EDGE_ORIGIN_KEY], known) };
  if (!runtime) {
    // Not running, but a crashed supervisor or a failed start may have left processes: name them.
    const leftovers = findLeftovers(paths);
    const text = fs.existsSync(paths.root)
      ? `not running (state kept in ${paths.root}; writer ${topology?.writer ?? '?'}); start with: npm run local -- start`
      : 'not running; start with: npm run local -- start';
    if (asJson) {
      console.log(JSON.stringify({ running: false, topology, edge, leftovers }, null, 2));
    } else {
      console.log(text);
      for (const l of leftovers) console.log(`  LEFTOVER: ${l.what} (pid ${l.pid}) still runs; npm run local -- stop stops it`);
    }
    return 3;
  }
  const secrets = loadSecrets(paths.secrets);
  const regions = await Promise.all(REGION_ROLES.map((role) => inspectRegion(role, runtime.regions[role], secrets)));
  const supervisor = await controlRequest(runtime.controlSocket, 'GET', '/status').catch((e: Error) => ({ error: e.message }));
  const hint = edgeHint(edge, regions);
  if (asJson) {
    console.log(
      JSON.stringify({ running: true, supervisorPid: runtime.supervisorPid, topology, edge, kvs, regions, supervisor, hint }, null, 2),
    );
    return 0;
  }
  const writer = topology?.writer ?? 'pri';
  console.log(`running (supervisor pid ${runtime.supervisorPid}, state ${paths.root})`);
  console.log(`writer: ${config.regions[writer]} (${writer}), generation ${topology?.generation}`);
  const via = kvs.items[EDGE_ORIGIN_KEY] ? `key value store ${kvs.etag}: ${EDGE_ORIGIN_KEY}=${kvs.items[EDGE_ORIGIN_KEY]}` : 'no KVS key';
  const origin = edge
    ? `${edge.origin.region} (${edge.origin.role}) ${edge.origin.url}, config version ${edge.version}, ${via}`
    : 'no origin';
  console.log(`edge ${runtime.edgeUrl} -> ${origin}`);
  for (const r of regions) console.log(`  ${describeRegion(r, writer)}`);
  const s = supervisor as Partial<RehearsalStatus>;
  for (const t of s.tokenEndpoints ?? []) {
    console.log(
      `  token endpoint ${config.regions[t.role]} (${t.role}): ${t.url} ${t.up ? 'up' : 'DOWN'}${t.status ? `, ${t.status}` : ''}`,
    );
  }
  if (s.controlPlane) {
    const { region, url, up } = s.controlPlane;
    console.log(`  CloudFront control plane stand-in (${region}): ${url} ${up ? 'up' : 'DOWN (origin-swap fails; use --traffic kvs)'}`);
  }

  if (edge && edge.origin.role !== writer) console.log(`WARNING: the edge does not point at the writer; run: npm run failover -- --local`);
  if (hint) console.log(`WARNING: ${hint}`);
  return 0;
}

async function regionAction(config: LocalConfig, action: 'kill' | 'revive', role: RegionRole): Promise<number> {
  const runtime = requireRunning(config);
  console.log(`${action === 'kill' ? 'killing' : 'reviving'} ${config.regions[role]} (${role})...`);
  await controlRequest(runtime.controlSocket, 'POST', `/regions/${role}/${action}`, undefined, 120_000);
  return status(config, false);
}

async function invoke(config: LocalConfig, args: readonly string[]): Promise<number> {
  const runtime = requireRunning(config);
  const regionFlag = args.indexOf('--region');
  const role =
    regionFlag >= 0 ? roleOf(config, args[regionFlag + 1]) : (readTopology(statePaths(config.stateDir).topology)?.writer ?? 'pri');
  const positional = regionFlag < 0 ? args : args.filter((_, i) => i !== regionFlag && i !== regionFlag + 1);
  const fn = positional[0] as ToDoFunctionName;
  if (!fn || !Object.hasOwn(TODO_FUNCTIONS, fn)) throw new UsageError(`give a function: ${Object.keys(TODO_FUNCTIONS).join(', ')}`);
  let payload: unknown = {};
  if (positional[1]) {
    try {
      payload = JSON.parse(positional[1]);
    } catch (error) {
      throw new UsageError(`the payload is not JSON: ${(error as Error).message}`);
    }
  }
  const answer = (await controlRequest(runtime.controlSocket, 'POST', `/invoke/${role}/${fn}`, payload)) as { result: unknown };
  console.log(JSON.stringify(answer.result));
  return 0;
}

async function printToken(config: LocalConfig): Promise<number> {
  const paths = statePaths(config.stateDir);
  requireRunning(config);
  const endpoints = readJson<Endpoints>(paths.endpoints)!;
  const res = await fetch(endpoints.tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${endpoints.clientId}:${endpoints.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`the token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
  console.log(body.access_token);
  return 0;
}

function requireRunning(config: LocalConfig) {
  const runtime = liveRuntime(statePaths(config.stateDir).runtime);
  if (!runtime) throw new UsageError('the local rehearsal is not running; start it with: npm run local -- start (or ./deploy.sh --local)');
  return runtime;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
    else if (error instanceof ConfigError) console.error(error.message);
    else console.error(`error: ${error.message}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
