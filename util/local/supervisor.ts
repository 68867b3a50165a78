// The local rehearsal's supervisor: starts and owns every process (two MariaDB servers, the token
// endpoint, one API process per region, the edge), publishes endpoints.json and runtime.json, serves
// the CLI's control socket, kills and revives regions, and shuts it all down cleanly. Who writes is never
// decided here from memory: the replica manager reads topology.json, which only the failover driver
// changes; the supervisor only runs the manager's reconciler as a safety net.
import * as fs from 'node:fs';
import { OAUTH_SCOPE, type ToDoFunctionName } from '#routes';
import type { LocalConfig } from '#config';
import { CLOUDFRONT_CONTROL_PLANE_REGION, otherRole, REGION_ROLES, type RegionRole } from '#names';
import { startControlPlane, type ControlPlane } from './control-plane';
import { startControlServer, type ControlServer } from './control-socket';
import { startEdge, type Edge } from './edge';
import { reconcileEdgeConfig, type EdgeOrigin } from './edge-config';
import { reconcileKvs } from './edge-kvs';
import { identityOf, signalQuietly, sleep } from './process-util';
import { RegionProcesses } from './region-processes';
import { buildRegionalApi } from './regional-api-build';
import { ReplicaManager } from './replica-manager';
import { regionEndpoints, type Endpoints, type RehearsalStatus, type Runtime } from './runtime';
import { loadOrCreateSecrets, type LocalSecrets } from './secrets';
import { runningPid, stopMariaDbAt } from './mariadb';
import { isLiveSupervisor, prepareStateDir, readSupervisorPid, statePaths, withFileLock, writeJson, type StatePaths } from './state';
import { loadOrCreateSigningKey, startTokenEndpoint, type SigningKey, type TokenEndpoint } from './token-endpoint';
import { readReplicaStatus } from './token-replica';
import { loadOrInitTopology } from './topology';

export interface RehearsalOptions {
  readonly config: LocalConfig;
  /** COGNITO_REPLICA=true: secd gets its own token endpoint, INACTIVE until the failover activates it. */
  readonly cognitoReplica?: boolean;
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
  /** Each region's token endpoint while it runs; the URL each had, kept across a kill for endpoints.json. */
  private readonly tokens: Partial<Record<RegionRole, TokenEndpoint>> = {};
  private readonly tokenUrls: Partial<Record<RegionRole, { url: string; port: number }>> = {};
  private signingKey!: SigningKey;
  private controlPlane?: ControlPlane;
  private controlPlaneUrl = '';
  private readonly controlPlaneRole: RegionRole | undefined;
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
    private readonly cognitoReplica = false,
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
    this.controlPlaneRole = REGION_ROLES.find((role) => config.regions[role] === CLOUDFRONT_CONTROL_PLANE_REGION);
  }

  /** Starts everything and returns once the edge answers through the active region. */
  static async start(options: RehearsalOptions): Promise<Rehearsal> {
    const rehearsal = new Rehearsal(options.config, options.log, options.cognitoReplica);
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
    const region = (p: RegionProcesses) => {
      const tokenUrl = this.tokenUrls[p.role]?.url;
      return { ...regionEndpoints(p), ...(tokenUrl ? { tokenUrl } : {}) };
    };
    return {
      edgeUrl: this.edge?.url ?? '',
      tokenUrl: this.tokenUrls.pri?.url ?? '',
      clientId: this.secrets.clientId,
      clientSecret: this.secrets.clientSecret,
      scope: OAUTH_SCOPE,
      regions: { pri: region(this.regions.pri), secd: region(this.regions.secd) },
    };
  }

  status(): RehearsalStatus {
    return {
      pid: process.pid,
      stateDir: this.paths.root,
      regions: REGION_ROLES.map((role) => this.regions[role].status()),
      tokenEndpoints: REGION_ROLES.filter((role) => this.tokenUrls[role]).map((role) => ({
        role,
        url: this.tokenUrls[role]?.url ?? '',
        up: Boolean(this.tokens[role]),
        ...(role === 'secd' ? { status: `user pool replica ${readReplicaStatus(this.paths.tokenReplica)}` } : {}),
      })),
      controlPlane: this.controlPlaneStatus(),
    };
  }

  private controlPlaneStatus() {
    const region = this.controlPlaneRole ? this.regions[this.controlPlaneRole].name : CLOUDFRONT_CONTROL_PLANE_REGION;
    return { region, url: this.controlPlaneUrl, up: Boolean(this.controlPlane) };
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
    this.signingKey = await loadOrCreateSigningKey(this.paths.signingKey);
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

    this.token = await this.startToken('pri');
    if (this.cognitoReplica) await this.startToken('secd');
    await Promise.all(REGION_ROLES.map((role) => this.startApi(role)));
    await this.createTable(writer);

    const edgeConfig = await reconcileEdgeConfig(this.paths.edge, this.originOf('pri'), this.originOf);
    await reconcileKvs(this.paths.kvs, REGION_ROLES.map(this.originOf), this.originOf(writer));
    if (edgeConfig.origin.role !== writer) {
      this.log(`warning: the edge points at ${edgeConfig.origin.role} but ${writer} is the writer: run npm run failover -- --local`);
    }
    this.edge = await startEdge({
      configFile: this.paths.edge,
      kvsFile: this.paths.kvs,
      knownOrigins: () => REGION_ROLES.map(this.originOf),
      port: this.config.ports.edge,
      log: this.log,
    });
    await this.startControlPlane();
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
      const tokens = REGION_ROLES.map((role) => this.tokens[role]?.close());
      await Promise.all([this.control?.close(), this.edge?.close(), this.controlPlane?.close(), ...tokens]);
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
    const token = this.tokens[role];
    delete this.tokens[role];
    const plane = this.controlPlaneRole === role ? this.controlPlane : undefined;
    if (plane) this.controlPlane = undefined;
    await Promise.all([region.stop('SIGKILL'), token?.close(), plane?.close()]);
    const also = [token ? 'token endpoint' : '', plane ? `CloudFront control plane stand-in (${CLOUDFRONT_CONTROL_PLANE_REGION})` : '']
      .filter(Boolean)
      .join(', ');
    this.publish();
    this.log(`region ${region.name} (${role}) killed: database and API${also ? `, ${also}` : ''} are down; the edge keeps serving`);
  }

  /**
   * Brings a region back fenced: the database boots read-only and becomes writer or replica as
   * topology.json says. A part that still runs (an API that crashed alone) is kept.
   */
  async reviveRegion(role: RegionRole): Promise<void> {
    const region = this.regions[role];
    const dbUp = region.dbRunning;
    const apiUp = region.apiRunning;
    if (this.tokenUrls[role] && !this.tokens[role]) await this.startToken(role);
    if (this.controlPlaneRole === role && !this.controlPlane) await this.startControlPlane();
    if (dbUp && apiUp) {
      this.publish();
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

  /**
   * A region's token endpoint, on the port it had before a kill so its URL stays valid. secd's is the
   * replica's: same key and issuer as pri's (token-replica.ts), answering only while ACTIVE.
   */
  private async startToken(role: RegionRole): Promise<TokenEndpoint> {
    const replica = role === 'secd';
    const endpoint = await startTokenEndpoint({
      clientId: this.secrets.clientId,
      clientSecret: this.secrets.clientSecret,
      allowedScopes: [OAUTH_SCOPE],
      signingKey: this.signingKey,
      port: this.tokenUrls[role]?.port ?? (replica ? this.config.ports.tokenSecd : this.config.ports.token),
      ...(replica ? { issuer: this.token?.issuer, active: () => readReplicaStatus(this.paths.tokenReplica) === 'ACTIVE' } : {}),
      log: this.log,
    });
    this.tokens[role] = endpoint;
    this.tokenUrls[role] = { url: endpoint.tokenUrl, port: endpoint.port };
    return endpoint;
  }

  /** A region's API as the edge, its key-value store and the control plane name it. */
  private readonly originOf = (role: RegionRole): EdgeOrigin => ({ role, region: this.regions[role].name, url: this.regions[role].apiUrl });

  private async startControlPlane(): Promise<void> {
    const port = this.controlPlaneUrl ? Number(new URL(this.controlPlaneUrl).port) : 0;
    const origins = () => ({ pri: this.originOf('pri'), secd: this.originOf('secd') });
    this.controlPlane = await startControlPlane({ configFile: this.paths.edge, origins, port });
    this.controlPlaneUrl = this.controlPlane.url;
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
      ...(this.tokenUrls[p.role] ? { tokenUrl: this.tokenUrls[p.role]?.url } : {}),
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
      tokenUrl: this.tokenUrls.pri?.url ?? '',
      controlSocket: this.paths.controlSocket,
      controlPlane: this.controlPlaneStatus(),
      ...(this.cognitoReplica ? { tokenReplica: this.paths.tokenReplica } : {}),
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
