// The local rehearsal's supervisor: starts and owns everything (two MariaDB servers with GTID
// replication, the token endpoint, one API process per region, the edge), publishes endpoints.json,
// answers the CLI on a unix control socket (status, kill-region, revive-region, invoke) and shuts it
// all down cleanly. Who writes is never decided here from memory: it is read from topology.json,
// which only the failover driver changes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { OAUTH_SCOPE, type ToDoFunctionName } from '#routes';
import type { LocalConfig } from '#config';
import { localDbEnv } from '#lambda/shared/env';
import { otherRole, REGION_ROLES, type RegionRole } from '#names';
import { startEdge, type Edge } from './edge';
import { reconcileEdgeConfig, type EdgeOrigin } from './edge-config';
import { closeServer, readBody, sendJson } from './http-util';
import { runningPid, startMariaDb, stopMariaDbAt, type MariaDbServer } from './mariadb';
import { buildRegionalApi } from './regional-api-build';
import type { ApiMessage, SupervisorMessage } from './regional-api';
import {
  connectAdmin,
  DivergenceError,
  ensureUsers,
  fence,
  findDivergence,
  promote,
  replicateFrom,
  serverState,
  waitForGtid,
  type Sql,
} from './replication';
import { reseedFromPrimary } from './reseed';
import type { Endpoints, Runtime } from './runtime';
import { loadOrCreateSecrets, type LocalSecrets } from './secrets';
import { isAlive, signalQuietly, sleep, tailOfFile } from './process-util';
import { readJson, statePaths, withFileLock, writeJson, type StatePaths } from './state';
import { loadOrCreateSigningKey, startTokenEndpoint, type TokenEndpoint } from './token-endpoint';
import { loadOrInitTopology, readTopology } from './topology';

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

interface RegionProcess {
  readonly role: RegionRole;
  readonly name: string;
  dbPort: number;
  apiPort: number;
  db?: MariaDbServer;
  api?: ChildProcess;
  /** Killed on purpose (kill-region): its exit is expected, and it stays down until revived. */
  down: boolean;
  /** Set when a diverged former primary was rebuilt; kept for status. */
  lastReseedBackup?: string;
}

export interface RegionStatus {
  readonly role: RegionRole;
  readonly name: string;
  readonly down: boolean;
  readonly apiUrl: string;
  readonly apiRunning: boolean;
  readonly dbPort: number;
  readonly dbRunning: boolean;
  readonly lastReseedBackup?: string;
}

const SERVER_IDS: Record<RegionRole, number> = { pri: 1, secd: 2 };
/** State dirs a rehearsal of this process runs on. */
const claimedHere = new Set<string>();
const API_START_TIMEOUT_MS = 20_000;
const INVOKE_TIMEOUT_MS = 35_000;

export class Rehearsal {
  readonly paths: StatePaths;
  private readonly regions: Record<RegionRole, RegionProcess>;
  private readonly log: (line: string) => void;
  private secrets!: LocalSecrets;
  private token?: TokenEndpoint;
  private edge?: Edge;
  private control?: http.Server;
  private bundle = '';
  private pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
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
    this.regions = {
      pri: { role: 'pri', name: config.regions.pri, dbPort: config.ports.db.pri, apiPort: config.ports.api.pri, down: false },
      secd: { role: 'secd', name: config.regions.secd, dbPort: config.ports.db.secd, apiPort: config.ports.api.secd, down: false },
    };
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
    const region = (p: RegionProcess) => ({ name: p.name, apiUrl: apiUrl(p.apiPort), dbPort: p.dbPort });
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
      regions: REGION_ROLES.map((role) => {
        const p = this.regions[role];
        return {
          role,
          name: p.name,
          down: p.down,
          apiUrl: apiUrl(p.apiPort),
          apiRunning: Boolean(p.api && p.api.exitCode === null && p.api.signalCode === null),
          dbPort: p.dbPort,
          dbRunning: Boolean(p.db && isAlive(p.db.pid)),
          ...(p.lastReseedBackup ? { lastReseedBackup: p.lastReseedBackup } : {}),
        };
      }),
    };
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** One supervisor per state dir: a live pid file wins; a dead one is taken over. */
  private async claimStateDir(): Promise<void> {
    fs.mkdirSync(this.paths.root, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.paths.root, 0o700);
    // The pid file cannot tell two rehearsals of the same process apart (tests, embedding).
    if (claimedHere.has(this.paths.root)) throw new AlreadyRunningError(process.pid, this.paths.root);
    await withFileLock(this.paths.supervisorPid, () => {
      const pid = Number(readJson<number>(this.paths.supervisorPid) ?? 0);
      if (pid && pid !== process.pid && isAlive(pid)) throw new AlreadyRunningError(pid, this.paths.root);
      writeJson(this.paths.supervisorPid, process.pid);
    });
    claimedHere.add(this.paths.root);
  }

  private async startAll(): Promise<void> {
    const started = Date.now();
    this.secrets = loadOrCreateSecrets(this.paths.secrets);
    const signingKey = await loadOrCreateSigningKey(this.paths.signingKey);
    const topology = await loadOrInitTopology(this.paths.topology);
    this.log(
      `state: ${this.paths.root} (writer: ${topology.writer} = ${this.regions[topology.writer].name}, generation ${topology.generation})`,
    );

    // The slow parts in parallel: two databases and the API bundle.
    const [bundle] = await Promise.all([
      buildRegionalApi(path.join(this.paths.buildDir, 'regional-api.js')),
      this.startDatabase('pri'),
      this.startDatabase('secd'),
    ]);
    this.bundle = bundle;
    // The writer first, then the other one rejoins it.
    await withFileLock(
      this.paths.operation,
      async () => {
        await this.configureRole(topology.writer);
        await this.configureRole(otherRole(topology.writer));
      },
      60_000,
    );

    this.token = await startTokenEndpoint({
      clientId: this.secrets.clientId,
      clientSecret: this.secrets.clientSecret,
      allowedScopes: [OAUTH_SCOPE],
      signingKey,
      port: this.config.ports.token,
      log: this.log,
    });
    await Promise.all(REGION_ROLES.map((role) => this.startApi(role)));
    await this.createTable(topology.writer);

    const origin = (role: RegionRole): EdgeOrigin => ({ role, region: this.regions[role].name, url: apiUrl(this.regions[role].apiPort) });
    const edgeConfig = await reconcileEdgeConfig(this.paths.edge, origin('pri'), origin);
    if (edgeConfig.origin.role !== topology.writer) {
      this.log(
        `warning: the edge points at ${edgeConfig.origin.role} but ${topology.writer} is the writer: run npm run failover -- --local`,
      );
    }
    this.edge = await startEdge({ configFile: this.paths.edge, port: this.config.ports.edge, log: this.log });
    await this.startControl();
    this.publish();
    await this.checkHealth();
    this.startReconciler();
    this.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.reconcileTimer);
      while (this.reconciling) await sleep(20);
      await Promise.all([this.control && closeServer(this.control), this.edge?.close(), this.token?.close()]);
      await Promise.all(REGION_ROLES.map((role) => this.stopRegion(role, 'SIGTERM')));
      for (const file of [this.paths.runtime, this.paths.endpoints, this.paths.controlSocket]) fs.rmSync(file, { force: true });
      if (readJson<number>(this.paths.supervisorPid) === process.pid) fs.rmSync(this.paths.supervisorPid, { force: true });
      claimedHere.delete(this.paths.root);
      process.off('exit', this.exitHook);
      for (const { reject } of this.pending.values()) reject(new Error('the rehearsal is stopping'));
      this.pending.clear();
    })();
    return this.stopping;
  }

  /** Last resort on process exit (synchronous): nothing we started may outlive us. */
  private killEverythingNow(): void {
    for (const p of Object.values(this.regions)) {
      if (p.api?.pid && p.api.exitCode === null) signalQuietly(p.api.pid, 'SIGKILL');
      if (p.db?.pid && isAlive(p.db.pid)) signalQuietly(p.db.pid, 'SIGKILL');
    }
  }

  // ---- regions --------------------------------------------------------------------------------

  /** A disaster rehearsal: the region's database and API die at once (SIGKILL, no clean shutdown). */
  async killRegion(role: RegionRole): Promise<void> {
    const p = this.regions[role];
    p.down = true;
    await this.stopRegion(role, 'SIGKILL');
    this.log(`region ${p.name} (${role}) killed: database and API are down`);
  }

  /**
   * Brings a region back fenced: the database boots read-only and becomes writer or replica as
   * topology.json says. A part that still runs (an API that crashed alone) is kept.
   */
  async reviveRegion(role: RegionRole): Promise<void> {
    const p = this.regions[role];
    const dbUp = Boolean(p.db && isAlive(p.db.pid));
    const apiUp = Boolean(p.api && p.api.exitCode === null && p.api.signalCode === null);
    if (dbUp && apiUp) {
      this.log(`region ${p.name} (${role}) is already up`);
      return;
    }
    if (!dbUp) {
      await this.stopDatabase(role, 'SIGKILL');
      await this.startDatabase(role);
      await withFileLock(this.paths.operation, () => this.configureRole(role), 60_000);
    }
    if (!apiUp) {
      await this.stopApi(role, 'SIGKILL');
      await this.startApi(role);
    }
    p.down = false;
    this.publish();
    this.log(`region ${p.name} (${role}) is back`);
  }

  private async stopRegion(role: RegionRole, signal: NodeJS.Signals): Promise<void> {
    await this.stopApi(role, signal);
    await this.stopDatabase(role, signal);
  }

  private async stopApi(role: RegionRole, signal: NodeJS.Signals): Promise<void> {
    const p = this.regions[role];
    const api = p.api;
    p.api = undefined;
    if (!api || api.exitCode !== null || api.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => api.kill('SIGKILL'), 5000);
      api.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      api.kill(signal);
    });
  }

  private async stopDatabase(role: RegionRole, signal: NodeJS.Signals): Promise<void> {
    const p = this.regions[role];
    const db = p.db;
    p.db = undefined;
    if (!db) return;
    if (signal === 'SIGKILL' && isAlive(db.pid)) {
      signalQuietly(db.pid, 'SIGKILL');
      while (isAlive(db.pid)) await sleep(20);
    }
    await db.stop();
  }

  private async startDatabase(role: RegionRole): Promise<void> {
    const p = this.regions[role];
    const dataDir = this.paths.dbDataDir(role);
    // Left behind by a supervisor that was killed: stop it, it will be restarted fenced.
    if (runningPid(dataDir)) {
      this.log(`stopping a leftover MariaDB on ${dataDir}`);
      await stopMariaDbAt(dataDir);
    }
    const fresh = !fs.existsSync(path.join(dataDir, 'mysql'));
    const db = await startMariaDb({
      dataDir,
      port: p.dbPort,
      serverId: SERVER_IDS[role],
      // Fenced at boot, always: only configureRole() opens the writer, after reading topology.json.
      readOnly: true,
      // We own its lifecycle (orderly stop on Ctrl-C, SIGKILL on kill-region), not the launcher.
      detached: true,
      log: (m) => this.log(`[${p.name} db] ${m}`),
    }).catch((error: Error) => {
      const key = `LOCAL_${role.toUpperCase()}_DB_PORT`;
      throw new Error(
        /port \d+ is in use/.test(error.message)
          ? `${p.name} database (${key}): ${error.message}; free it or set ${key}=0 in .env`
          : error.message,
      );
    });
    p.db = db;
    p.dbPort = db.port;
    const root: Sql = { query: async (sql: string, values?: unknown) => [await db.query(sql, values as unknown[]), undefined] };
    await ensureUsers(root, this.secrets, this.config.dbName);
    // A fresh server's binlog holds only the launcher's setup (anonymous users dropped): forget it, or
    // those GTIDs would look like writes the other region never received.
    if (fresh) await db.query('RESET MASTER');
    this.log(`[${p.name} db] MariaDB on 127.0.0.1:${db.port} (server id ${SERVER_IDS[role]}, started read-only)`);
  }

  /** Opens the writer for writes, or makes the other region a replica of the writer. */
  private async configureRole(role: RegionRole): Promise<void> {
    const topology = readTopology(this.paths.topology);
    if (!topology) throw new Error(`${this.paths.topology} is missing`);
    const p = this.regions[role];
    if (topology.writer === role) {
      await this.withAdmin(role, (sql) => promote(sql));
      this.log(`[${p.name} db] writer (generation ${topology.generation})`);
      return;
    }
    const writer = this.regions[topology.writer];
    if (!writer.db || !isAlive(writer.db.pid)) {
      this.log(`[${p.name} db] stays read-only: the writer ${writer.name} is down; it rejoins when revived or after a failover`);
      return;
    }
    await this.rejoin(role);
  }

  private async rejoin(role: RegionRole): Promise<void> {
    const p = this.regions[role];
    const writerRole = otherRole(role);
    const writer = this.regions[writerRole];
    const missing = await this.withAdmin(role, (mine) => this.withAdmin(writerRole, (theirs) => findDivergence(mine, theirs)));
    if (missing.length === 0) {
      try {
        await this.withAdmin(role, (sql) => replicateFrom(sql, { port: writer.dbPort }, this.secrets));
        this.log(`[${p.name} db] read-only replica of ${writer.name}`);
        return;
      } catch (error) {
        if (!(error instanceof DivergenceError)) throw error;
      }
    }
    this.log(
      `[${p.name} db] DIVERGED: it holds transactions ${writer.name} never received (${missing.join(', ') || 'GTID error'}), ` +
        'lost by an unplanned failover. Saving its data, then rebuilding it as a copy of the writer.',
    );
    const backup = await reseedFromPrimary({
      database: this.config.dbName,
      secrets: this.secrets,
      stalePort: p.dbPort,
      primaryPort: writer.dbPort,
      backupDir: this.paths.regionDir(role),
    });
    p.lastReseedBackup = backup;
    this.log(`[${p.name} db] rebuilt as a read-only replica of ${writer.name}; its former data is in ${backup}`);
  }

  /**
   * Every 2 s: the region that is not the writer must be read-only and replicating from the writer.
   * This is what fences an old primary that is still up after an unplanned failover (the failover
   * itself never contacts it), and what re-attaches a replica whose writer came back later.
   */
  private startReconciler(): void {
    this.reconcileTimer = setInterval(() => {
      if (this.reconciling || this.stopping) return;
      this.reconciling = true;
      this.reconcile()
        .catch((error: Error) => this.log(`reconcile: ${error.message}`))
        .finally(() => (this.reconciling = false));
    }, 2000);
    this.reconcileTimer.unref();
  }

  private async reconcile(): Promise<void> {
    await withFileLock(
      this.paths.operation,
      async () => {
        const topology = readTopology(this.paths.topology);
        if (!topology) return;
        const writerRole = topology.writer;
        const writer = this.regions[writerRole];
        const role = otherRole(writerRole);
        const p = this.regions[role];
        if (this.stopping || p.down || !p.db || !isAlive(p.db.pid)) return;
        const state = await this.withAdmin(role, serverState);
        if (!state.readOnly) {
          this.log(`[${p.name} db] is writable but ${writer.name} is the writer (generation ${topology.generation}): fencing it`);
          await this.withAdmin(role, (sql) => fence(sql, this.secrets.appUser));
        }
        if (!writer.db || !isAlive(writer.db.pid)) return;
        if ((await this.withAdmin(writerRole, serverState)).readOnly) return;
        const r = state.replica;
        if (r && r.masterPort === writer.dbPort && r.ioRunning !== 'No' && r.sqlRunning === 'Yes') return;
        this.log(`[${p.name} db] not replicating from ${writer.name}${r?.lastIoError ? ` (${r.lastIoError})` : ''}: rejoining`);
        await this.rejoin(role);
      },
      200,
    ).catch((error: Error) => {
      // A failover or revive holds the lock: look again next time.
      if (!/is held by/.test(error.message)) throw error;
    });
  }

  private async withAdmin<T>(role: RegionRole, fn: (sql: Sql) => Promise<T>): Promise<T> {
    const connection = await connectAdmin(this.regions[role].dbPort, this.secrets);
    try {
      return await fn(connection);
    } finally {
      await connection.end().catch(() => undefined);
    }
  }

  private async startApi(role: RegionRole): Promise<void> {
    const p = this.regions[role];
    if (!this.token) throw new Error('the token endpoint must start before the APIs');
    fs.mkdirSync(this.paths.regionDir(role), { recursive: true, mode: 0o700 });
    const logFd = fs.openSync(this.paths.apiLog(role), 'a', 0o600);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      // The bundle leaves the AWS SDK out (IAM auth only); let it resolve from this repo anyway.
      NODE_PATH: path.resolve(__dirname, '..', '..', 'node_modules'),
      NODE_ENV: 'production',
      AWS_REGION: p.name,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'INFO',
      POWERTOOLS_SERVICE_NAME: `todomgmt-${role}`,
      ...localDbEnv({ port: p.dbPort, database: this.config.dbName, user: this.secrets.appUser, password: this.secrets.appPassword }),
      DB_CONNECT_TIMEOUT_MS: '2000',
      TODOMGMT_REGION: p.name,
      TODOMGMT_ROLE: role,
      TODOMGMT_API_PORT: String(p.apiPort),
      TODOMGMT_ISSUER: this.token.issuer,
      TODOMGMT_JWKS: JSON.stringify(this.token.jwks),
    };
    // Own process group: a Ctrl-C in the terminal reaches only the supervisor, which stops the
    // children in order; the IPC channel makes them exit if the supervisor dies.
    const child = spawn(process.execPath, ['--enable-source-maps', this.bundle], {
      env,
      stdio: ['ignore', logFd, logFd, 'ipc'],
      detached: true,
    });
    fs.closeSync(logFd);
    p.api = child;
    child.on('message', (message: ApiMessage) => {
      if (message?.type !== 'result') return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (waiter) message.ok ? waiter.resolve(message.value) : waiter.reject(new Error(message.error));
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${p.name} API did not start within ${API_START_TIMEOUT_MS} ms; see ${this.paths.apiLog(role)}`)),
        API_START_TIMEOUT_MS,
      );
      child.on('message', (message: ApiMessage) => {
        if (message?.type !== 'listening') return;
        clearTimeout(timer);
        resolve(message.port);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`${p.name} API exited while starting (code ${code}, signal ${signal}):\n${tailOfFile(this.paths.apiLog(role), 15)}`),
        );
      });
    });
    p.apiPort = port;
    child.once('exit', (code, signal) => {
      if (!this.stopping && !p.down && p.api === child) {
        this.log(
          `[${p.name} api] exited unexpectedly (code ${code}, signal ${signal}); see ${this.paths.apiLog(role)}; npm run local -- revive-region ${role}`,
        );
        p.api = undefined;
      }
    });
    this.log(`[${p.name} api] ${apiUrl(port)} (log: ${this.paths.apiLog(role)})`);
  }

  /** The local `aws lambda invoke`: runs a function in that region's API process. */
  invoke(role: RegionRole, functionName: ToDoFunctionName, payload: unknown): Promise<unknown> {
    const api = this.regions[role].api;
    if (!api || api.exitCode !== null || !api.connected)
      return Promise.reject(new Error(`the ${this.regions[role].name} API is not running`));
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${functionName} did not answer within ${INVOKE_TIMEOUT_MS} ms`));
      }, INVOKE_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      api.send({ type: 'invoke', id, functionName, payload } satisfies SupervisorMessage);
    });
  }

  /** As the article's first step: `{"action":"CREATE_TABLE"}` to the CreateTable function, then replicated. */
  private async createTable(writer: RegionRole): Promise<void> {
    const result = (await this.invoke(writer, 'CreateTableFunction', { action: 'CREATE_TABLE' })) as { statusCode?: number } | undefined;
    if (!result || typeof result.statusCode !== 'number' || result.statusCode >= 300) {
      throw new Error(`CreateTableFunction failed in ${this.regions[writer].name}: ${JSON.stringify(result)}`);
    }
    const other = otherRole(writer);
    if (!this.regions[other].db) return;
    const position = await this.withAdmin(writer, async (sql) => (await serverState(sql)).gtidBinlogPos);
    await this.withAdmin(other, (sql) => waitForGtid(sql, position, 15));
  }

  private publish(): void {
    const regions = {} as Record<RegionRole, Runtime['regions'][RegionRole]>;
    for (const role of REGION_ROLES) {
      const p = this.regions[role];
      regions[role] = {
        name: p.name,
        apiUrl: apiUrl(p.apiPort),
        apiPort: p.apiPort,
        dbPort: p.dbPort,
        dbDataDir: this.paths.dbDataDir(role),
      };
    }
    const runtime: Runtime = {
      supervisorPid: process.pid,
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

  private async checkHealth(): Promise<void> {
    const res = await fetch(`${this.edge!.url}/__local/health`);
    if (res.status !== 200) throw new Error(`the edge answers ${res.status} on /__local/health: ${await res.text()}`);
  }

  // ---- control socket -------------------------------------------------------------------------

  private async startControl(): Promise<void> {
    fs.rmSync(this.paths.controlSocket, { force: true });
    if (this.paths.controlSocket.length > 100) {
      throw new Error(`the state dir path is too long for a unix socket (${this.paths.controlSocket}); use a shorter LOCAL_STATE_DIR`);
    }
    const server = http.createServer((req, res) => {
      this.handleControl(req, res).catch((error: Error) => sendJson(res, 500, { error: error.message }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.paths.controlSocket, () => resolve());
    });
    fs.chmodSync(this.paths.controlSocket, 0o600);
    this.control = server;
  }

  private async handleControl(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const parts = (req.url ?? '/').split('?')[0].split('/').filter(Boolean);
    if (req.method === 'GET' && parts[0] === 'status') return sendJson(res, 200, this.status());
    const role = parts[1] as RegionRole;
    if (req.method === 'POST' && parts[0] === 'regions' && REGION_ROLES.includes(role)) {
      if (parts[2] === 'kill') await this.killRegion(role);
      else if (parts[2] === 'revive') await this.reviveRegion(role);
      else return sendJson(res, 404, { error: `unknown action ${parts[2]}` });
      return sendJson(res, 200, this.status());
    }
    if (req.method === 'POST' && parts[0] === 'invoke' && REGION_ROLES.includes(role) && parts[2]) {
      const body = (await readBody(req)).toString('utf8');
      const payload = body ? JSON.parse(body) : {};
      return sendJson(res, 200, { result: await this.invoke(role, parts[2] as ToDoFunctionName, payload) });
    }
    sendJson(res, 404, { error: 'unknown control request' });
  }
}

/** Client side of the control socket, for the CLI. */
export function controlRequest(
  socketPath: string,
  method: 'GET' | 'POST',
  urlPath: string,
  body?: unknown,
  timeoutMs = 60_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, method, path: urlPath, headers: { 'content-type': 'application/json' }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const parsed = text ? JSON.parse(text) : undefined;
          if ((res.statusCode ?? 500) >= 400)
            reject(new Error((parsed as { error?: string })?.error ?? `control request failed (${res.statusCode})`));
          else resolve(parsed);
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer from the supervisor within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const apiUrl = (port: number) => `http://127.0.0.1:${port}`;
