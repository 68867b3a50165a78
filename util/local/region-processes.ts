// One region of the rehearsal as processes: its MariaDB and its API child, each started, stopped in
// order or killed (a disaster rehearsal), and reported for status. Which role the database takes is the
// replica manager's business; when a region starts, dies or comes back is the supervisor's.
import type { RegionRole } from '#names';
import { ApiProcess } from './api-process';
import type { MariaDbServer } from './mariadb';
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
  readonly lastReseedBackup?: string;
}

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

  async startApi(bundle: string, token: TokenEndpoint): Promise<void> {
    const logFile = this.context.paths.apiLog(this.role);
    const secrets = this.context.secrets();
    const api = await ApiProcess.start({
      bundle,
      role: this.role,
      regionName: this.name,
      port: this.apiPort,
      logFile,
      db: { port: this.dbPort, database: this.context.database, user: secrets.appUser, password: secrets.appPassword },
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

  async stop(signal: NodeJS.Signals): Promise<void> {
    await this.stopApi(signal);
    await this.stopDatabase(signal);
  }

  /** For a synchronous exit hook: nothing we started may outlive us. */
  killNow(): void {
    this.api?.killNow();
    this.db?.kill('SIGKILL');
  }
}
