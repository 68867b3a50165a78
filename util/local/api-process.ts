// One region's API as a child process of the supervisor (the bundle built by regional-api-build.ts),
// and its IPC: the child says which port it listens on, and runs `invoke` messages (the local
// `aws lambda invoke`). Own process group, so a Ctrl-C in the terminal reaches only the supervisor,
// which stops the children in order; the IPC channel makes a child exit if the supervisor dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ToDoFunctionName } from '#routes';
import { localDbEnv, localTableStepEnv } from '#lambda/shared/env';
import type { RegionRole } from '#names';
import { tailOfFile } from './process-util';
import type { ApiMessage, RegionalApiEnv, SupervisorMessage } from './regional-api';
import type { JsonWebKeySet } from './token-endpoint';

export interface ApiProcessOptions {
  /** The compiled regional API (regional-api-build.ts). */
  readonly bundle: string;
  readonly role: RegionRole;
  readonly regionName: string;
  /** 0: any free port. */
  readonly port: number;
  readonly logFile: string;
  /** The functions' database settings: the proxy's read/write and read-only ports, the application user. */
  readonly db: {
    readonly port: number;
    readonly readPort: number;
    readonly database: string;
    readonly user: string;
    readonly password: string;
  };
  /** CreateTableFunction's master user (this process hosts every function) and the password it sets. */
  readonly tableStep: Parameters<typeof localTableStepEnv>[0];
  readonly issuer: string;
  readonly jwks: JsonWebKeySet;
  /** Called when the child exits other than through stop(). */
  readonly onUnexpectedExit: (api: ApiProcess, code: number | null, signal: NodeJS.Signals | null) => void;
}

const START_TIMEOUT_MS = 20_000;
/** Longer than API Gateway's 29 s integration timeout, which the child enforces itself. */
const INVOKE_TIMEOUT_MS = 35_000;
const STOP_GRACE_MS = 5000;

interface Waiter {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

export class ApiProcess {
  private readonly pending = new Map<string, Waiter>();
  private stopping = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly regionName: string,
    readonly port: number,
  ) {
    child.on('message', (message: ApiMessage) => {
      if (message?.type !== 'result') return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(message.error));
    });
    child.once('exit', () => {
      for (const { reject } of this.pending.values()) reject(new Error(`the ${regionName} API exited`));
      this.pending.clear();
    });
  }

  /** Spawns the child and resolves once it listens. */
  static async start(o: ApiProcessOptions): Promise<ApiProcess> {
    fs.mkdirSync(path.dirname(o.logFile), { recursive: true, mode: 0o700 });
    const logFd = fs.openSync(o.logFile, 'a', 0o600);
    const regional: RegionalApiEnv = {
      TODOMGMT_REGION: o.regionName,
      TODOMGMT_ROLE: o.role,
      TODOMGMT_API_PORT: String(o.port),
      TODOMGMT_ISSUER: o.issuer,
      TODOMGMT_JWKS: JSON.stringify(o.jwks),
    };
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      // The bundle leaves the AWS SDK out (IAM auth only); let it resolve from this repo anyway.
      NODE_PATH: path.resolve(__dirname, '..', '..', 'node_modules'),
      NODE_ENV: 'production',
      AWS_REGION: o.regionName,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'INFO',
      POWERTOOLS_SERVICE_NAME: `todomgmt-${o.role}`,
      ...localDbEnv(o.db),
      ...localTableStepEnv(o.tableStep),
      DB_CONNECT_TIMEOUT_MS: '2000',
      ...regional,
    };
    const child = spawn(process.execPath, ['--enable-source-maps', o.bundle], {
      env,
      stdio: ['ignore', logFd, logFd, 'ipc'],
      detached: true,
    });
    fs.closeSync(logFd);
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL'); // a start that fails leaves nothing running
        reject(new Error(`${o.regionName} API did not start within ${START_TIMEOUT_MS} ms; see ${o.logFile}`));
      }, START_TIMEOUT_MS);
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        reject(new Error(`${o.regionName} API exited while starting (code ${code}, signal ${signal}):\n${tailOfFile(o.logFile, 15)}`));
      };
      child.on('message', (message: ApiMessage) => {
        if (message?.type !== 'listening') return;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(message.port);
      });
      child.once('exit', onExit);
    });
    const api = new ApiProcess(child, o.regionName, port);
    child.once('exit', (code, signal) => {
      if (!api.stopping) o.onUnexpectedExit(api, code, signal);
    });
    return api;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Runs a function in this region's process, as `aws lambda invoke` would in its Lambda environment. */
  invoke(functionName: ToDoFunctionName, payload: unknown): Promise<unknown> {
    if (!this.running || !this.child.connected) return Promise.reject(new Error(`the ${this.regionName} API is not running`));
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${functionName} did not answer within ${INVOKE_TIMEOUT_MS} ms`));
      }, INVOKE_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ type: 'invoke', id, functionName, payload } satisfies SupervisorMessage);
    });
  }

  /** Sends `signal` and waits for the exit (SIGKILL after a grace period). */
  async stop(signal: NodeJS.Signals): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    const child = this.child;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill(signal);
    });
  }

  /** For a synchronous exit hook: nothing we started may outlive us. */
  killNow(): void {
    // ChildProcess.kill is a no-op once the child exited (by a code or a signal): a reused pid is never hit.
    if (this.running) this.child.kill('SIGKILL');
  }
}
