// The local rehearsal's supervisor: starts and owns every process (two MariaDB servers, the token
// endpoint, one API process per region, the edge), publishes endpoints.json and runtime.json, serves
// the CLI's control socket, kills and revives regions, and shuts it all down cleanly. Who writes is never
// decided here from memory: the replica manager reads topology.json, which only the failover driver
// changes; the supervisor only runs the manager's reconciler as a safety net.
import * as fs from 'node:fs';
import { OAUTH_SCOPE, type ToDoFunctionName } from '#routes';
import type { LocalConfig } from '#config';
import { otherRole, REGION_ROLES, type RegionRole } from '#names';
import { startControlServer, type ControlServer } from './control-socket';
import { startEdge, type Edge } from './edge';
import { reconcileEdgeConfig, type EdgeOrigin } from './edge-config';
import { identityOf, signalQuietly, sleep } from './process-util';
import { RegionProcesses, type RegionStatus } from './region-processes';
import { buildRegionalApi } from './regional-api-build';
import { ReplicaManager } from './replica-manager';
import { regionEndpoints, type Endpoints, type Runtime } from './runtime';
import { loadOrCreateSecrets, type LocalSecrets } from './secrets';
import { runningPid, stopMariaDbAt } from './mariadb';
import { isLiveSupervisor, prepareStateDir, readSupervisorPid, statePaths, withFileLock, writeJson, type StatePaths } from './state';
import { loadOrCreateSigningKey, startTokenEndpoint, type TokenEndpoint } from './token-endpoint';
import { loadOrInitTopology } from './topology';

export interface RehearsalOptions {
  readonly config: LocalConfig;
  readonly log?: (line: string) => void;
}

export class AlreadyRunningError extends Error {
  constructor(
    readonly pid: number,
    readonly stateDir: string,
  ) {
    super(`the local rehearsal already runs (supervisor pid ${pid}, state ${stateDir}); see: npm run local -- status`);
    this.name = 'AlreadyRunningError';
  }
}

export type { RegionStatus } from './region-processes';

/** State dirs a rehearsal of this process runs on. */
const claimedHere = new Set<string>();
const RECONCILE_EVERY_MS = 2000;

export class Rehearsal {
  readonly paths: StatePaths;
  private readonly regions: Record<RegionRole, RegionProcesses>;
  private readonly log: (line: string) => void;
  private secrets!: LocalSecrets;
  private replicas!: ReplicaManager;
  private token?: TokenEndpoint;
  private edge?: Edge;
  private control?: ControlServer;
  private bundle = '';
  private stopping?: Promise<void>;
  private readonly exitHook = () => this.killEverythingNow();
  private reconcileTimer?: NodeJS.Timeout;
  private reconciling = false;

  private constructor(
    private readonly config: LocalConfig,
    log?: (line: string) => void,
  ) {
    this.paths = statePaths(config.stateDir);
    this.log = log ?? ((line) => process.stdout.write(`${line}\n`));
    const context = {
      paths: this.paths,
      database: config.dbName,
      secrets: () => this.secrets,
      stopping: () => Boolean(this.stopping),
      log: this.log,
    };
    const region = (role: RegionRole) =>
      new RegionProcesses(role, config.regions[role], config.ports.db[role], config.ports.api[role], context);
    this.regions = { pri: region('pri'), secd: region('secd') };
  }

  /** Starts everything and returns once the edge answers through the active region. */
  static async start(options: RehearsalOptions): Promise<Rehearsal> {
    const rehearsal = new Rehearsal(options.config, options.log);
    // Throws AlreadyRunningError before anything is touched: the running one keeps all its files.
    await rehearsal.claimStateDir();
    process.once('exit', rehearsal.exitHook);
    try {
      await rehearsal.startAll();
      return rehearsal;
    } catch (error) {
      await rehearsal.stop().catch(() => undefined);
      throw error;
    }
  }

  get endpoints(): Endpoints {
    const region = (p: RegionProcesses) => regionEndpoints(p);
    return {
      edgeUrl: this.edge?.url ?? '',
      tokenUrl: this.token?.tokenUrl ?? '',
      clientId: this.secrets.clientId,
      clientSecret: this.secrets.clientSecret,
      scope: OAUTH_SCOPE,
      regions: { pri: region(this.regions.pri), secd: region(this.regions.secd) },
    };
  }

  status(): { readonly pid: number; readonly stateDir: string; readonly regions: RegionStatus[] } {
    return {
      pid: process.pid,
      stateDir: this.paths.root,
      regions: REGION_ROLES.map((role) => this.regions[role].status()),
    };
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /**
   * One supervisor per state dir: a pid file naming a live supervisor wins; one left by a dead
   * supervisor (its pid now perhaps another process's) is taken over. The dir is git-proofed first.
   */
  private async claimStateDir(): Promise<void> {
    prepareStateDir(this.paths.root);
    // The pid file cannot tell two rehearsals of the same process apart (tests, embedding).
    if (claimedHere.has(this.paths.root)) throw new AlreadyRunningError(process.pid, this.paths.root);
    await withFileLock(this.paths.supervisorPid, () => {
      const holder = readSupervisorPid(this.paths.supervisorPid);
      if (holder && holder.pid !== process.pid && isLiveSupervisor(holder)) throw new AlreadyRunningError(holder.pid, this.paths.root);
      writeJson(this.paths.supervisorPid, identityOf());
    });
    claimedHere.add(this.paths.root);
  }

  private async startAll(): Promise<void> {
    const started = Date.now();
    this.secrets = loadOrCreateSecrets(this.paths.secrets);
    this.replicas = new ReplicaManager({
      paths: this.paths,
      secrets: this.secrets,
      database: this.config.dbName,
      region: (role) => this.regions[role],
      isUp: (role) => !this.stopping && !this.regions[role].down && this.regions[role].dbRunning,
      log: this.log,
      onRebuilt: (role, backup) => (this.regions[role].lastReseedBackup = backup),
    });
    const signingKey = await loadOrCreateSigningKey(this.paths.signingKey);
    const topology = await loadOrInitTopology(this.paths.topology);
    const writer = topology.writer;
    this.log(`state: ${this.paths.root} (writer: ${writer} = ${this.regions[writer].name}, generation ${topology.generation})`);

    // The slow parts in parallel: two databases and the API bundle. All of them settle before a
    // failure is thrown, so that stop() finds (and stops) every database that did start.
    const [bundle, ...databases] = await Promise.allSettled([
      buildRegionalApi(this.paths.apiBundle),
      this.regions.pri.startDatabase(),
      this.regions.secd.startDatabase(),
    ]);
    for (const result of [bundle, ...databases]) if (result.status === 'rejected') throw result.reason;
    this.bundle = (bundle as PromiseFulfilledResult<string>).value;
    // The writer first, then the other one rejoins it.
    await this.replicas.exclusive(async () => {
      await this.replicas.configureRole(writer);
      await this.replicas.configureRole(otherRole(writer));
    });

    this.token = await startTokenEndpoint({
      clientId: this.secrets.clientId,
      clientSecret: this.secrets.clientSecret,
      allowedScopes: [OAUTH_SCOPE],
      signingKey,
      port: this.config.ports.token,
      log: this.log,
    });
    await Promise.all(REGION_ROLES.map((role) => this.startApi(role)));
    await this.createTable(writer);

    const origin = (role: RegionRole): EdgeOrigin => ({ role, region: this.regions[role].name, url: this.regions[role].apiUrl });
    const edgeConfig = await reconcileEdgeConfig(this.paths.edge, origin('pri'), origin);
    if (edgeConfig.origin.role !== writer) {
      this.log(`warning: the edge points at ${edgeConfig.origin.role} but ${writer} is the writer: run npm run failover -- --local`);
    }
    this.edge = await startEdge({ configFile: this.paths.edge, port: this.config.ports.edge, log: this.log });
    this.control = await startControlServer(this.paths.controlSocket, {
      status: () => this.status(),
      killRegion: (role) => this.killRegion(role),
      reviveRegion: (role) => this.reviveRegion(role),
      invoke: (role, functionName, payload) => this.invoke(role, functionName, payload),
    });
    this.publish();
    await this.checkHealth(this.edge);
    this.startReconciler();
    this.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.reconcileTimer);
      while (this.reconciling) await sleep(20);
      await Promise.all([this.control?.close(), this.edge?.close(), this.token?.close()]);
      await Promise.all(REGION_ROLES.map((role) => this.regions[role].stop('SIGTERM')));
      // A database this run started but lost track of (its start failed half-way) is still ours.
      for (const role of REGION_ROLES) {
        if (await stopMariaDbAt(this.paths.dbDataDir(role))) this.log(`stopped a MariaDB left on ${this.paths.dbDataDir(role)}`);
      }
      for (const file of [this.paths.runtime, this.paths.endpoints, this.paths.controlSocket]) fs.rmSync(file, { force: true });
      if (readSupervisorPid(this.paths.supervisorPid)?.pid === process.pid) fs.rmSync(this.paths.supervisorPid, { force: true });
      claimedHere.delete(this.paths.root);
      process.off('exit', this.exitHook);
    })();
    return this.stopping;
  }

  /** Last resort on process exit (synchronous): nothing we started may outlive us, tracked or not. */
  private killEverythingNow(): void {
    for (const role of REGION_ROLES) {
      this.regions[role].killNow();
      const leftover = runningPid(this.paths.dbDataDir(role));
      if (leftover) signalQuietly(leftover, 'SIGKILL');
    }
  }

  // ---- regions --------------------------------------------------------------------------------

  /** A disaster rehearsal: the region's database and API die at once (SIGKILL, no clean shutdown). */
  async killRegion(role: RegionRole): Promise<void> {
    const region = this.regions[role];
    region.down = true;
    await region.stop('SIGKILL');
    this.log(`region ${region.name} (${role}) killed: database and API are down`);
  }

  /**
   * Brings a region back fenced: the database boots read-only and becomes writer or replica as
   * topology.json says. A part that still runs (an API that crashed alone) is kept.
   */
  async reviveRegion(role: RegionRole): Promise<void> {
    const region = this.regions[role];
    const dbUp = region.dbRunning;
    const apiUp = region.apiRunning;
    if (dbUp && apiUp) {
      this.log(`region ${region.name} (${role}) is already up`);
      return;
    }
    if (!dbUp) {
      await region.stopDatabase('SIGKILL');
      await region.startDatabase();
      await this.replicas.exclusive(() => this.replicas.configureRole(role));
    }
    if (!apiUp) {
      await region.stopApi('SIGKILL');
      await this.startApi(role);
    }
    region.down = false;
    this.publish();
    this.log(`region ${region.name} (${role}) is back`);
  }

  /** The local `aws lambda invoke`: runs a function in that region's API process. */
  invoke(role: RegionRole, functionName: ToDoFunctionName, payload: unknown): Promise<unknown> {
    const api = this.regions[role].api;
    if (!api) return Promise.reject(new Error(`the ${this.regions[role].name} API is not running`));
    return api.invoke(functionName, payload);
  }

  private async startApi(role: RegionRole): Promise<void> {
    if (!this.token) throw new Error('the token endpoint must start before the APIs');
    await this.regions[role].startApi(this.bundle, this.token);
  }

  /** As the article's first step: `{"action":"CREATE_TABLE"}` to the CreateTable function, then replicated. */
  private async createTable(writer: RegionRole): Promise<void> {
    const result = (await this.invoke(writer, 'CreateTableFunction', { action: 'CREATE_TABLE' })) as { statusCode?: number } | undefined;
    if (!result || typeof result.statusCode !== 'number' || result.statusCode >= 300) {
      throw new Error(`CreateTableFunction failed in ${this.regions[writer].name}: ${JSON.stringify(result)}`);
    }
    if (this.regions[otherRole(writer)].db) await this.replicas.waitUntilReplicated(otherRole(writer), 15);
  }

  /**
   * Every 2 s, the replica manager's safety net: it fences a non-writer it finds writable and
   * re-attaches a replica whose writer came back. Failover and revive do their own rejoining.
   */
  private startReconciler(): void {
    this.reconcileTimer = setInterval(() => {
      if (this.reconciling || this.stopping) return;
      this.reconciling = true;
      this.replicas
        .reconcile()
        .catch((error: Error) => this.log(`reconcile: ${error.message}`))
        .finally(() => (this.reconciling = false));
    }, RECONCILE_EVERY_MS);
    this.reconcileTimer.unref();
  }

  private publish(): void {
    const region = (p: RegionProcesses) => ({
      name: p.name,
      apiUrl: p.apiUrl,
      apiPort: p.apiPort,
      dbPort: p.dbPort,
      dbDataDir: this.paths.dbDataDir(p.role),
      proxy: regionEndpoints(p).proxy,
    });
    const regions = { pri: region(this.regions.pri), secd: region(this.regions.secd) };
    const identity = identityOf();
    const runtime: Runtime = {
      supervisorPid: identity.pid,
      ...(identity.startTime ? { supervisorStartTime: identity.startTime } : {}),
      startedAt: new Date().toISOString(),
      stateDir: this.paths.root,
      dbName: this.config.dbName,
      issuer: this.token?.issuer ?? '',
      edgeUrl: this.edge?.url ?? '',
      tokenUrl: this.token?.tokenUrl ?? '',
      controlSocket: this.paths.controlSocket,
      regions,
    };
    writeJson(this.paths.runtime, runtime);
    writeJson(this.paths.endpoints, this.endpoints);
  }

  private async checkHealth(edge: Edge): Promise<void> {
    const res = await fetch(`${edge.url}/__local/health`);
    if (res.status !== 200) throw new Error(`the edge answers ${res.status} on /__local/health: ${await res.text()}`);
  }
}
