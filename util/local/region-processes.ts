// One region of the rehearsal as processes: its MariaDB, its RDS Proxy stand-in (in this process) and its
// API child, each started, stopped in order or killed (a disaster rehearsal), and reported for status.
// Which role the database takes is the replica manager's business; when a region starts, dies or comes
// back is the supervisor's.
import type { RegionRole } from '#names';
import { ApiProcess } from './api-process';
import type { MariaDbServer } from './mariadb';
import { startRdsProxy, type EndpointCounters, type ProxyEndpoint, type RdsProxy } from './rds-proxy';
import { startRegionDatabase, stopRegionDatabase } from './region-database';
import type { LocalSecrets } from './secrets';
import type { StatePaths } from './state';
import type { TokenEndpoint } from './token-endpoint';

export interface RegionStatus {
  readonly role: RegionRole;
  readonly name: string;
  readonly down: boolean;
  readonly apiUrl: string;
  readonly apiRunning: boolean;
  readonly dbPort: number;
  readonly dbRunning: boolean;
  /** The RDS Proxy stand-in's two ports and what each did, while the region's API runs. */
  readonly proxy?: RegionProxyStatus;
  readonly lastReseedBackup?: string;
}

export interface RegionProxyStatus {
  readonly ports: Readonly<Record<ProxyEndpoint, number>>;
  readonly counters: Readonly<Record<ProxyEndpoint, EndpointCounters>>;
}

/**
 * Reader instances of each region's cluster while it is the writer, as the infra stacks deploy them:
 * the primary has a writer only (cost), the secondary a writer and a reader (README, Known limits).
 */
const READER_INSTANCES: Readonly<Record<RegionRole, number>> = { pri: 0, secd: 1 };
/** The table step's bounded wait, inside the supervisor's 35 s invoke timeout (on AWS: 10 minutes). */
const LOCAL_SETUP_WAIT_SECONDS = 20;

export interface RegionContext {
  readonly paths: StatePaths;
  readonly database: string;
  readonly secrets: () => LocalSecrets;
  /** The whole rehearsal is shutting down: exits are expected. */
  readonly stopping: () => boolean;
  readonly log: (line: string) => void;
}

export const apiUrl = (port: number) => `http://127.0.0.1:${port}`;

export class RegionProcesses {
  db?: MariaDbServer;
  api?: ApiProcess;
  proxy?: RdsProxy;
  /** Killed on purpose (kill-region): its exit is expected, and it stays down until revived. */
  down = false;
  /** Set when a diverged former primary was rebuilt; kept for status. */
  lastReseedBackup?: string;

  constructor(
    readonly role: RegionRole,
    readonly name: string,
    /** As configured (0: any free port) until started, then the port it listens on. */
    public dbPort: number,
    public apiPort: number,
    private readonly context: RegionContext,
  ) {}

  get dbRunning(): boolean {
    return Boolean(this.db?.running);
  }

  get apiRunning(): boolean {
    return Boolean(this.api?.running);
  }

  get apiUrl(): string {
    return apiUrl(this.apiPort);
  }

  status(): RegionStatus {
    return {
      role: this.role,
      name: this.name,
      down: this.down,
      apiUrl: this.apiUrl,
      apiRunning: this.apiRunning,
      dbPort: this.dbPort,
      dbRunning: this.dbRunning,
      ...(this.proxy ? { proxy: { ports: this.proxy.ports, counters: this.proxy.counters() } } : {}),
      ...(this.lastReseedBackup ? { lastReseedBackup: this.lastReseedBackup } : {}),
    };
  }

  async startDatabase(): Promise<void> {
    const db = await startRegionDatabase({
      role: this.role,
      regionName: this.name,
      dataDir: this.context.paths.dbDataDir(this.role),
      port: this.dbPort,
      database: this.context.database,
      secrets: this.context.secrets(),
      log: this.context.log,
    });
    this.db = db;
    this.dbPort = db.port;
  }

  async stopDatabase(signal: NodeJS.Signals): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) await stopRegionDatabase(db, signal);
  }

  /** The proxy's ports, once the region's API started (what the functions and endpoints.json get). */
  get proxyPorts(): Readonly<Record<ProxyEndpoint, number>> | undefined {
    return this.proxy?.ports;
  }

  /** The region's RDS Proxy stand-in: kept while it runs, so the API's DB settings stay valid. */
  private async ensureProxy(): Promise<RdsProxy> {
    this.proxy ??= await startRdsProxy({
      regionName: this.name,
      role: this.role,
      topologyFile: this.context.paths.topology,
      readerInstances: READER_INSTANCES[this.role],
      targetPort: () => (this.db ? this.dbPort : undefined),
      log: this.context.log,
    });
    return this.proxy;
  }

  async startApi(bundle: string, token: TokenEndpoint): Promise<void> {
    const logFile = this.context.paths.apiLog(this.role);
    const secrets = this.context.secrets();
    const proxy = await this.ensureProxy();
    const api = await ApiProcess.start({
      bundle,
      role: this.role,
      regionName: this.name,
      port: this.apiPort,
      logFile,
      // As on AWS: the proxy's two endpoints, the application user, and the master user for the table step.
      db: {
        port: proxy.ports.readWrite,
        readPort: proxy.ports.readOnly,
        database: this.context.database,
        user: secrets.appUser,
        password: secrets.appPassword,
      },
      tableStep: {
        adminUser: secrets.adminUser,
        adminPassword: secrets.adminPassword,
        appPassword: secrets.appPassword,
        waitSeconds: LOCAL_SETUP_WAIT_SECONDS,
      },
      issuer: token.issuer,
      jwks: token.jwks,
      onUnexpectedExit: (exited, code, signal) => {
        if (this.context.stopping() || this.down || this.api !== exited) return;
        this.context.log(
          `[${this.name} api] exited unexpectedly (code ${code}, signal ${signal}); see ${logFile}; ` +
            `npm run local -- revive-region ${this.role}`,
        );
        this.api = undefined;
      },
    });
    this.api = api;
    this.apiPort = api.port;
    this.context.log(`[${this.name} api] ${this.apiUrl} (log: ${logFile})`);
  }

  async stopApi(signal: NodeJS.Signals): Promise<void> {
    const api = this.api;
    this.api = undefined;
    await api?.stop(signal);
  }

  async stopProxy(): Promise<void> {
    const proxy = this.proxy;
    this.proxy = undefined;
    await proxy?.close();
  }

  /** The whole region: its API, its proxy (a region outage takes the proxy with it) and its database. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    await this.stopApi(signal);
    await this.stopProxy();
    await this.stopDatabase(signal);
  }

  /** For a synchronous exit hook: nothing we started may outlive us. */
  killNow(): void {
    this.api?.killNow();
    this.db?.kill('SIGKILL');
  }
}
