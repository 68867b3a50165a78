// The local rehearsal as the game day drives it, only through its public interfaces: a rehearsal of our
// own (started on a temp state dir with free ports, stopped afterwards), one a test already runs in this
// process, or one that already runs elsewhere (`npm run local`), then driven with its CLI. The failover is
// always the failover program itself (#failover/run with the local driver), as `npm run failover -- --local` runs it.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCAL_PORT_DEFAULTS, loadLocalConfig, readEnv } from '#config';
import { realClock } from '#failover/clock';
import type { Topology } from '#failover/driver';
import type { FailoverReport } from '#failover/report';
import { runFailover } from '#failover/run';
import { REGION_ROLES, type FailoverMode, type RegionRole } from '#names';
import { createLocalDriver } from '../local/failover-driver';
import { liveRuntime, type Endpoints } from '../local/runtime';
import { readJson, statePaths } from '../local/state';
import { Rehearsal } from '../local/supervisor';

export interface LocalRehearsal {
  readonly stateDir: string;
  readonly regionNames: Readonly<Record<RegionRole, string>>;
  /** Started by the game day for itself: its data goes away with it, so nothing needs cleaning up. */
  readonly ownedByGameDay: boolean;
  /** Read again each time: a revived region may listen on a new port. */
  endpoints(): Endpoints;
  killRegion(role: RegionRole): Promise<void>;
  reviveRegion(role: RegionRole): Promise<void>;
  /** Runs the failover program (no confirmation: the game day is the approval); its lines go to `print`. */
  failover(mode: FailoverMode, to: RegionRole, print: (line: string) => void): Promise<FailoverReport>;
  /** Both regions' state as the failover program sees it. */
  discover(): Promise<Topology>;
  /** Stops what the game day started; leaves a rehearsal it did not start running. */
  close(): Promise<void>;
}

interface RegionControl {
  kill(role: RegionRole): Promise<void>;
  revive(role: RegionRole): Promise<void>;
  close(): Promise<void>;
}

function rehearsalOn(stateDir: string, owned: boolean, control: RegionControl): LocalRehearsal {
  const paths = statePaths(stateDir);
  const config = loadLocalConfig(readEnv());
  const driver = () => createLocalDriver({ stateDir });
  return {
    stateDir,
    regionNames: config.regions,
    ownedByGameDay: owned,
    endpoints() {
      const endpoints = readJson<Endpoints>(paths.endpoints);
      if (!endpoints) throw new Error(`${paths.endpoints} is missing: is the rehearsal running?`);
      return endpoints;
    },
    killRegion: (role) => control.kill(role),
    reviveRegion: (role) => control.revive(role),
    async failover(mode, to, print) {
      return runFailover(await driver(), {
        mode,
        to,
        dryRun: false,
        yes: true,
        force: false,
        wait: true,
        traffic: 'kvs',
        confirm: () => Promise.resolve(false),
        print,
        clock: realClock,
      });
    },
    async discover() {
      return (await driver()).discover({ contact: REGION_ROLES });
    },
    close: () => control.close(),
  };
}

/** Every LOCAL_*_PORT set to 0: a rehearsal of our own never collides with one that already runs. */
const FREE_PORTS = Object.fromEntries(Object.keys(LOCAL_PORT_DEFAULTS).map((key) => [key, '0']));

/** Starts a rehearsal of our own on a temp state dir; its log lines go to `log`. */
export async function startOwnRehearsal(log: (line: string) => void): Promise<LocalRehearsal> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-gameday-'));
  const config = loadLocalConfig({ ...readEnv(), LOCAL_STATE_DIR: stateDir, ...FREE_PORTS });
  let rehearsal: Rehearsal;
  try {
    rehearsal = await Rehearsal.start({ config, log });
  } catch (error) {
    fs.rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  return rehearsalOn(stateDir, true, {
    kill: (role) => rehearsal.killRegion(role),
    revive: (role) => rehearsal.reviveRegion(role),
    async close() {
      await rehearsal.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  });
}

/** A rehearsal this process already runs (a test's); the game day does not stop it. */
export function attachRehearsal(rehearsal: Rehearsal, stateDir: string): LocalRehearsal {
  return rehearsalOn(stateDir, false, {
    kill: (role) => rehearsal.killRegion(role),
    revive: (role) => rehearsal.reviveRegion(role),
    close: () => Promise.resolve(),
  });
}

/** The rehearsal that runs at `stateDir` (default LOCAL_STATE_DIR: `npm run local`), driven with its CLI. */
export function useRunningRehearsal(stateDir = loadLocalConfig(readEnv()).stateDir): LocalRehearsal {
  if (!liveRuntime(statePaths(stateDir).runtime)) {
    throw new Error(`no local rehearsal runs at ${stateDir}: start one (npm run local -- --detach) or leave out --use-running`);
  }
  const cli = (command: string, role: RegionRole) => localCli([command, role], stateDir);
  return rehearsalOn(stateDir, false, {
    kill: (role) => cli('kill-region', role),
    revive: (role) => cli('revive-region', role),
    close: () => Promise.resolve(),
  });
}

/** `npm run local -- <args>` on that state dir; rejects with its output when it fails. */
function localCli(args: readonly string[], stateDir: string): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const child = spawn(
    process.execPath,
    ['-r', require.resolve('ts-node/register/transpile-only'), path.join(root, 'util', 'local', 'cli.ts'), ...args],
    { cwd: root, env: { ...process.env, LOCAL_STATE_DIR: stateDir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm run local -- ${args.join(' ')} exited ${code}:\n${output.trim()}`)),
    );
  });
}
