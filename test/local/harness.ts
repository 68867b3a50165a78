// Starts the whole local rehearsal once per test file: free ports, a temp state dir, real MariaDB,
// real HTTP. Teardown is awaited and checks that no process it started is left.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { realClock } from '#failover/clock';
import { LOCAL_PORT_DEFAULTS, loadLocalConfig, readEnv, type LocalConfig } from '#config';
import type { FailoverMode, RegionRole, TrafficMethod } from '#names';
import { runFailover } from '#failover/run';
import type { ToDo } from '#lambda/shared/todos';
import { createLocalDriver } from '../../util/local/failover-driver';
import { connectAdmin } from '../../util/local/admin-connection';
import type { Endpoints } from '../../util/local/runtime';
import { loadSecrets } from '../../util/local/secrets';
import { processesMentioning as livingProcessesMentioning } from '../../util/local/process-util';
import { statePaths } from '../../util/local/state';
import { Rehearsal } from '../../util/local/supervisor';

/**
 * An API answer's body as the tests read it, unchecked: the handlers' `{ status, response }` envelope
 * (a ToDo on success) or API Gateway's `{ message }`. Tests check the status code before the body.
 */
export interface ApiBody {
  readonly status?: string;
  readonly message?: string;
  readonly response: ToDo;
}

export interface TestRehearsal {
  readonly rehearsal: Rehearsal;
  readonly config: LocalConfig;
  readonly endpoints: Endpoints;
  readonly log: string[];
  /** A token from the primary's endpoint, or from `tokenUrl` (a region's, in endpoints.json). */
  token(scope?: string, tokenUrl?: string): Promise<string>;
  /** Runs a SQL query as admin on one region's database. */
  sql<T = Record<string, unknown>>(role: RegionRole, query: string, params?: unknown[]): Promise<T[]>;
  api(
    url: string,
    init?: { method?: string; token?: string; body?: unknown; raw?: string },
  ): Promise<{ status: number; region: string | null; json: ApiBody }>;
  failover(mode: FailoverMode, to?: string, traffic?: TrafficMethod): Promise<Awaited<ReturnType<typeof runFailover>>>;
  /** The same run, its report returned whatever the outcome (for the refusals). */
  failoverReport(mode: FailoverMode, to?: string, traffic?: TrafficMethod): Promise<Awaited<ReturnType<typeof runFailover>>>;
  stop(): Promise<void>;
}

/** Every LOCAL_*_PORT set to 0: tests always take free ports, never the fixed defaults of .env. */
export const FREE_LOCAL_PORTS: Readonly<Record<keyof typeof LOCAL_PORT_DEFAULTS, string>> = Object.fromEntries(
  Object.keys(LOCAL_PORT_DEFAULTS).map((key) => [key, '0']),
) as Record<keyof typeof LOCAL_PORT_DEFAULTS, string>;

export async function startTestRehearsal(options: { readonly cognitoReplica?: boolean } = {}): Promise<TestRehearsal> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-'));
  const config = loadLocalConfig({
    ...readEnv(),
    LOCAL_STATE_DIR: stateDir,
    ...FREE_LOCAL_PORTS,
  });
  const log: string[] = [];
  let rehearsal: Rehearsal;
  try {
    rehearsal = await Rehearsal.start({ config, cognitoReplica: options.cognitoReplica, log: (line) => log.push(line) });
  } catch (error) {
    fs.rmSync(stateDir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n--- log ---\n${log.join('\n')}`, { cause: error });
  }
  const endpoints = rehearsal.endpoints;
  const secrets = loadSecrets(statePaths(stateDir).secrets);

  return {
    rehearsal,
    config,
    endpoints,
    log,
    async token(scope?: string, tokenUrl = endpoints.tokenUrl) {
      const res = await fetch(tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${endpoints.clientId}:${endpoints.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `grant_type=client_credentials${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`,
      });
      if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async sql(role, query, params) {
      const connection = await connectAdmin(endpoints.regions[role].dbPort, secrets);
      try {
        await connection.query('USE ??', [config.dbName]);
        const [rows] = await connection.query(query, params);
        return rows as never;
      } finally {
        await connection.end();
      }
    },
    async api(url, init = {}) {
      const headers: Record<string, string> = {};
      if (init.token) headers.authorization = init.token;
      const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(url, { method: init.method ?? 'GET', headers, body });
      const text = await res.text();
      let json: ApiBody;
      try {
        json = JSON.parse(text) as ApiBody;
      } catch {
        // Not JSON: kept as text, so that a failing assertion shows what came back.
        json = text as unknown as ApiBody;
      }
      return { status: res.status, region: res.headers.get('x-todomgmt-region'), json };
    },
    async failover(mode, to, traffic) {
      const { report, lines } = await run(mode, to, traffic);
      if (report.outcome !== 'completed' && report.outcome !== 'no-op') {
        throw new Error(`failover ${mode} → ${to ?? 'default'}: ${report.outcome} ${report.error ?? ''}\n${lines.join('\n')}`);
      }
      return report;
    },
    async failoverReport(mode, to, traffic) {
      return (await run(mode, to, traffic)).report;
    },
    async stop() {
      await rehearsal.stop();
      const leftovers = processesMentioning(stateDir);
      fs.rmSync(stateDir, { recursive: true, force: true });
      if (leftovers.length > 0) throw new Error(`processes left behind: ${leftovers.join('; ')}`);
    },
  };

  async function run(mode: FailoverMode, to: string | undefined, traffic: TrafficMethod = 'kvs') {
    const driver = await createLocalDriver({ stateDir });
    const lines: string[] = [];
    const report = await runFailover(driver, {
      mode,
      to,
      dryRun: false,
      yes: true,
      force: false,
      wait: true,
      traffic,
      confirm: () => Promise.resolve(false),
      print: (line) => lines.push(line),
      clock: realClock,
    });
    return { report, lines };
  }
}

/** Every live process whose command line names the state dir (databases, API children), for messages. */
export function processesMentioning(needle: string): string[] {
  return livingProcessesMentioning(needle).map(({ pid, commandLine }) => `${pid}: ${commandLine.slice(0, 120)}`);
}

/** A process that is not ours but whose pid a stale pid file may name; its command line mentions `mention`. */
export function startDecoy(mention: string): ChildProcess & { readonly pid: number } {
  const decoy = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', mention], { stdio: 'ignore' });
  if (!decoy.pid) throw new Error('the decoy did not start');
  return decoy as ChildProcess & { readonly pid: number };
}

export function stopDecoy(decoy: ChildProcess): Promise<void> {
  if (decoy.exitCode !== null || decoy.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    decoy.once('exit', () => resolve());
    decoy.kill('SIGKILL');
  });
}

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
