// The failover program's driver for the local rehearsal: the same orchestration as on AWS
// (`npm run failover -- --local ...`), acting on the two local MariaDB servers, topology.json and the
// edge's versioned config instead of Aurora, RDS Proxy and CloudFront.
//   switchover: fence the old primary (read_only, in-flight writes finish or are cut before being
//               acknowledged), wait until the target applied every GTID, promote it, point the old
//               primary at it: no acknowledged write is lost.
//   failover:   if the old primary answers (a forced failover against a healthy primary), fence it
//               first (read_only, app sessions ended, seconds at most) and give the target a bounded
//               moment to apply what it wrote, so that two databases are never writable at once; then
//               apply what already arrived and promote. A dead old primary boots read-only, rejoins as a
//               replica when revived (rebuilt, dump kept, if it holds writes that never arrived), and is
//               fenced by the supervisor's reconciler if it is seen up.
// Every database step is the replica manager's (replica-manager.ts); this file maps them to the steps.
// The run record lives in the state dir (failover-run.json), which both local regions share.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  DiscoverRequest,
  FailoverDriver,
  FailoverMode,
  KeptWrites,
  LagReading,
  Move,
  RecordWrite,
  RegionView,
  StepOptions,
  StepOutcome,
  Topology,
  TrafficOptions,
} from '#failover/driver';
import { fetchGet, type HttpAnswer } from '#failover/http-probe';
import { parseRunRecord, RunRecordFormatError, type RunRecord } from '#failover/run-record';
import { loadLocalConfig, readEnv, type LocalConfig } from '#config';
import { otherRole, REGION_ROLES, type RegionRole } from '#names';
import { apiHost } from './edge-kvs';
import { readLocalEdge, ensureLocalTokens, switchLocalTraffic } from './traffic';
import { inspectRegion, type RegionInspection } from './inspect';
import { ReplicaManager } from './replica-manager';
import { liveRuntime, type Runtime } from './runtime';
import { loadSecrets, type LocalSecrets } from './secrets';
import { statePaths, writeFileAtomic, type StatePaths } from './state';

export interface LocalDriverOptions {
  /** Defaults to LOCAL_STATE_DIR from .env / the environment (`.local`). */
  readonly stateDir?: string;
  /** Bound for "the target applied every transaction" (MASTER_GTID_WAIT). */
  readonly catchUpTimeoutSeconds?: number;
}

/** A promise, because that is what the failover CLI expects of the module it loads for --local. */
export function createLocalDriver(options: LocalDriverOptions = {}): Promise<FailoverDriver> {
  const config = loadLocalConfig(readEnv());
  return Promise.resolve(
    new LocalFailoverDriver({ ...config, stateDir: options.stateDir ?? config.stateDir }, options.catchUpTimeoutSeconds ?? 30),
  );
}

/** How long fencing a healthy old primary may take before the failover goes on without it. */
const FENCE_SECONDS = 3;

export class LocalFailoverDriver implements FailoverDriver {
  readonly name = 'local';
  // detach has no local equivalent: a standalone second writer is what the fencing exists to prevent.
  readonly modes: readonly FailoverMode[] = ['switchover', 'failover'];
  readonly regionNames: Readonly<Record<RegionRole, string>>;
  private readonly paths: StatePaths;
  private readonly recordFile: string;
  private firstCall: number | undefined;

  constructor(
    config: LocalConfig,
    private readonly catchUpTimeoutSeconds: number,
  ) {
    this.regionNames = config.regions;
    this.paths = statePaths(config.stateDir);
    this.recordFile = path.join(this.paths.root, 'failover-run.json');
  }

  describePromotion(mode: FailoverMode): string {
    return mode === 'switchover'
      ? 'fence the writer (read_only), wait until the replica applied every GTID, promote it, re-point the old primary at it'
      : 'fence the old primary if it answers, promote the replica (STOP SLAVE, RESET SLAVE ALL, read_only=0); the old one rejoins fenced';
  }

  private runtime(): Runtime {
    const runtime = liveRuntime(this.paths.runtime);
    if (!runtime) throw new Error(`the local rehearsal is not running (no live supervisor for ${this.paths.root}): npm run local -- start`);
    return runtime;
  }

  private secrets(): LocalSecrets {
    return loadSecrets(this.paths.secrets);
  }

  /** For one step: ports come from runtime.json, read again on every call (a revived region may move). */
  private replicas(log?: (line: string) => void): ReplicaManager {
    const secrets = this.secrets();
    return new ReplicaManager({
      paths: this.paths,
      secrets,
      database: this.runtime().dbName,
      region: (role) => ({ name: this.regionNames[role], dbPort: this.runtime().regions[role].dbPort }),
      ...(log ? { log } : {}),
    });
  }

  async discover({ contact, probe = [] }: DiscoverRequest): Promise<Topology> {
    this.firstCall ??= Date.now();
    // Not running at all is not "both regions down": say what to do instead of refusing obscurely.
    const runtime = this.runtime();
    const sources = [`file:${this.paths.runtime}`, `file:${this.paths.topology}`, `file:${this.paths.edge}`, `file:${this.paths.kvs}`];
    const regions = {} as Record<RegionRole, RegionView>;
    const secrets = this.secrets();
    for (const role of REGION_ROLES) {
      const base = { role, region: this.regionNames[role], clusterId: `mariadb-${role}`, proxyName: 'none (direct connection)' };
      const apiOriginDomain = apiHost(runtime.regions[role].apiUrl);
      const apiUrl = runtime.regions[role].apiUrl;
      if (!contact.includes(role)) {
        regions[role] = { ...base, reachable: false, apiOriginDomain, apiUrl };
        if (probe.includes(role))
          regions[role] = { ...regions[role], health: healthOf(await inspectRegion(role, runtime.regions[role], secrets)) };
        continue;
      }
      regions[role] = { ...viewOf(base, apiOriginDomain, await inspectRegion(role, runtime.regions[role], secrets)), apiUrl };
    }
    const { traffic, configuredOrigin, edgeKey } = readLocalEdge(this.paths, runtime, this.regionNames);
    if (!configuredOrigin) sources.push("CloudFront's control plane stand-in is down: the configured origin is unknown");
    const runRecord = this.readRunRecord(sources);
    return {
      globalClusterId: 'local GTID replication',
      edgeId: `local edge ${runtime.edgeUrl}`,
      regions,
      ...(traffic ? { traffic } : {}),
      ...(configuredOrigin ? { configuredOrigin } : {}),
      edgeKey,
      sources,
      edgeUrl: runtime.edgeUrl,
      ...(runRecord ? { runRecord } : {}),
    };
  }

  async replicationLag(move: Move): Promise<LagReading> {
    const writerReachable = move.mode === 'switchover' && move.topology.regions[move.from].reachable;
    const seconds = await this.replicas().replicaLagSeconds(move.to, writerReachable);
    return { seconds, source: writerReachable ? 'GTID positions and Seconds_Behind_Master' : 'Seconds_Behind_Master' };
  }

  httpGet(url: string, timeoutMs: number): Promise<HttpAnswer> {
    return fetchGet(url, timeoutMs);
  }

  /** One file for both local "regions" (they share the state dir): written once, reported for each. */
  saveRunRecord(record: RunRecord, roles: readonly RegionRole[]): Promise<RecordWrite[]> {
    writeFileAtomic(this.recordFile, `${JSON.stringify(record, null, 2)}\n`);
    return Promise.resolve(roles.map((role) => ({ role, saved: true, detail: `${this.regionNames[role]}: saved in ${this.recordFile}` })));
  }

  /**
   * The local twin of Aurora's unplanned-failover snapshot is the dump the replica manager writes when it
   * rebuilds a diverged old primary (diverged-*.sql); an old primary that rejoined without diverging lost nothing.
   */
  async keepLostWrites(topology: Topology, oldPrimary: RegionRole, since: string): Promise<KeptWrites> {
    const dir = this.paths.regionDir(oldPrimary);
    const region = this.regionNames[oldPrimary];
    const dumps = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((f) => f.startsWith('diverged-') && fs.statSync(path.join(dir, f)).mtimeMs >= Date.parse(since) - 1000)
          .sort()
      : [];
    if (dumps.length > 0) {
      const kept = path.join(dir, dumps[dumps.length - 1]);
      return {
        alreadyInPlace: true,
        detail: `${region}'s former data is in ${kept}`,
        kept,
        notes: [`The writes ${region} held beyond the new primary are in ${kept}.`],
      };
    }
    const state = await this.replicas().state(oldPrimary);
    if (state.readOnly && state.replica?.masterPort === this.runtime().regions[otherRole(topology.regions[oldPrimary].role)].dbPort) {
      const kept = `nothing: ${region} rejoined as a replica without diverging`;
      return { alreadyInPlace: true, detail: kept, kept };
    }
    return {
      alreadyInPlace: false,
      detail: `${region} has not rejoined yet`,
      notes: [`${region} has not rejoined yet: run the same command again once it has.`],
    };
  }

  firstCallAt(): number | undefined {
    return this.firstCall;
  }

  private readRunRecord(sources: string[]): RunRecord | undefined {
    if (!fs.existsSync(this.recordFile)) return undefined;
    try {
      const record = parseRunRecord(fs.readFileSync(this.recordFile, 'utf8'));
      sources.push(`run record from file:${this.recordFile} (${record.state}, ${record.updatedAt})`);
      return record;
    } catch (error) {
      if (!(error instanceof RunRecordFormatError)) throw error;
      sources.push(`run record ${this.recordFile} ignored: ${error.message}`);
      return undefined;
    }
  }

  async promote(move: Move, { progress }: StepOptions): Promise<StepOutcome> {
    const replicas = this.replicas(progress);
    const target = this.regionNames[move.to];
    const source = this.regionNames[move.from];
    // One role change at a time, also against the supervisor's revive and reconcile.
    return replicas.exclusive(async () => {
      const topology = await replicas.writerTopology(move.to);
      if (topology) {
        const notes = move.mode === 'switchover' ? await this.rejoinOldPrimary(replicas, move, progress) : [];
        return { alreadyInPlace: true, detail: `${target} is already the writer (generation ${topology.generation})`, notes };
      }
      return move.mode === 'switchover' ? this.switchover(replicas, move, progress) : this.failover(replicas, move, progress, source);
    });
  }

  private async switchover(replicas: ReplicaManager, move: Move, progress: (m: string) => void): Promise<StepOutcome> {
    const [from, to] = [this.regionNames[move.from], this.regionNames[move.to]];
    progress(`fencing ${from}: read_only=1, waiting for in-flight writes, closing app sessions`);
    const position = await replicas.fence(move.from);
    progress(`${from} fenced at GTID ${position || '(empty)'}; waiting until ${to} applied it (max ${this.catchUpTimeoutSeconds} s)`);
    try {
      await replicas.waitApplied(move.to, position, this.catchUpTimeoutSeconds);
    } catch (error) {
      // Nothing moved yet: give the writes back to the old primary rather than leave no writer at all.
      await replicas.unfence(move.from).catch(() => undefined);
      throw new Error(`${(error as Error).message}; ${from} was unfenced and is still the writer`, { cause: error });
    }
    const topology = await replicas.promote(move.to, 'switchover', `fenced ${from} at ${position}`);
    progress(`${to} promoted (generation ${topology.generation})`);
    const notes = await this.rejoinOldPrimary(replicas, move, progress);
    return {
      alreadyInPlace: false,
      detail: `${to} is the writer; it had applied every transaction of ${from} up to ${position || '(none)'}`,
      notes,
    };
  }

  /**
   * The old primary becomes a replica of the new one, rebuilt from it if it diverged. The writer has
   * moved either way, so a failure here is a note that says how to finish, not a failed switchover.
   */
  private async rejoinOldPrimary(replicas: ReplicaManager, move: Move, progress: (m: string) => void): Promise<string[]> {
    const [from, to] = [this.regionNames[move.from], this.regionNames[move.to]];
    try {
      const outcome = await replicas.ensureReplica(move.from);
      if (outcome.kind === 'already-replicating') return [];
      progress(`${from} is now a read-only replica of ${to}`);
      if (outcome.kind === 'replicating') return [];
      return [
        `${from} held transactions ${to} never received (${outcome.missing.join(', ') || 'GTID error'}); ` +
          `it was rebuilt from ${to} and its former data is in ${outcome.backup}`,
      ];
    } catch (error) {
      return [
        `${from} stays fenced (read-only) but is not a replica of ${to}: ${(error as Error).message}. ` +
          `Run the same switchover again to retry: npm run failover -- --local --mode switchover --to ${to} --yes`,
      ];
    }
  }

  private async failover(replicas: ReplicaManager, move: Move, progress: (m: string) => void, source: string): Promise<StepOutcome> {
    const [from, to] = [this.regionNames[move.from], this.regionNames[move.to]];
    const fenced =
      move.topology.regions[move.from].health?.answered === true ? await this.fenceOldPrimary(replicas, move, progress) : undefined;
    progress(`${fenced ? `${from} fenced` : `${source} was not contacted`}; applying what ${to} already received before promoting it`);
    const received = await replicas.applyReceived(move.to, this.catchUpTimeoutSeconds);
    const how = fenced ? `fenced ${from} at ${fenced || '(empty)'}` : `promoted without ${from}`;
    const topology = await replicas.promote(move.to, 'failover', `${how} at ${received || '(nothing received)'}`);
    progress(`${to} promoted (generation ${topology.generation})`);
    if (fenced !== undefined) {
      return {
        alreadyInPlace: false,
        detail: `${to} is the writer; ${from} was fenced first (at ${fenced || 'an empty position'}), so it never wrote alongside ${to}`,
        notes: await this.rejoinOldPrimary(replicas, move, progress),
      };
    }
    return {
      alreadyInPlace: false,
      detail: `${to} is the writer with everything it had received from ${from} (${received || 'none'})`,
      notes: [
        `${from} was not contacted. It boots read-only (topology.json says ${to} writes) and rejoins as a replica: ` +
          `npm run local -- revive-region ${move.from}. Writes ${from} acknowledged after ${received || 'that point'} are lost; ` +
          `if it holds any, it is rebuilt from ${to} and its data is kept as a dump under ${this.paths.regionDir(move.from)}.`,
      ],
    };
  }

  /**
   * Never two writable databases: the old primary goes read-only (its app sessions ended) before the
   * target opens, bounded to a few seconds. The target then gets a bounded moment to apply what the old
   * primary wrote up to the fence; past it the failover goes on and what is missing is its data loss.
   * Returns the fenced GTID position, or undefined when the old primary could not be fenced (it is then
   * treated as down: the supervisor's reconciler fences it as soon as it sees it).
   */
  private async fenceOldPrimary(replicas: ReplicaManager, move: Move, progress: (m: string) => void): Promise<string | undefined> {
    const [from, to] = [this.regionNames[move.from], this.regionNames[move.to]];
    progress(`${from} answers: fencing it before ${to} opens for writes (read_only, app sessions ended, at most ${FENCE_SECONDS} s)`);
    let position: string;
    try {
      position = await replicas.fence(move.from, FENCE_SECONDS);
    } catch (error) {
      progress(`could not fence ${from} (${(error as Error).message}): going on as if it were down`);
      return undefined;
    }
    try {
      await replicas.waitApplied(move.to, position, this.catchUpTimeoutSeconds);
      progress(`${to} applied everything ${from} wrote up to the fence (${position || 'nothing'})`);
    } catch (error) {
      progress(`${to} did not apply everything up to ${position} (${(error as Error).message}); promoting anyway (a failover)`);
    }
    return position;
  }

  async ensureProxy(move: Move): Promise<StepOutcome> {
    // No RDS Proxy locally: each regional API connects straight to its own database. What matters is
    // that the target's API answers.
    const runtime = this.runtime();
    const inspection = await inspectRegion(move.to, runtime.regions[move.to], this.secrets());
    if (!inspection.apiHealthy) {
      throw new Error(
        `the ${this.regionNames[move.to]} API does not answer (${inspection.apiError}); npm run local -- revive-region ${move.to}`,
      );
    }
    const api = `the ${this.regionNames[move.to]} API (${runtime.regions[move.to].apiUrl})`;
    return { alreadyInPlace: true, detail: `no proxy locally: ${api} connects to its database directly and answers` };
  }

  ensureTokens(move: Move): Promise<StepOutcome> {
    return ensureLocalTokens(this.runtime(), this.regionNames, move);
  }

  switchTraffic(move: Move, options: TrafficOptions): Promise<StepOutcome> {
    return switchLocalTraffic(this.paths, this.runtime(), this.regionNames, move, options);
  }
}

function healthOf(r: RegionInspection): RegionView['health'] {
  if (!r.dbReachable || !r.db) return { answered: false, healthy: false, detail: `${r.name} database did not answer (${r.dbError})` };
  const writable = !r.db.readOnly;
  return { answered: true, healthy: writable, detail: `${r.name} database answered, ${writable ? 'writable (the writer)' : 'read-only'}` };
}

function viewOf(
  base: Pick<RegionView, 'role' | 'region' | 'clusterId' | 'proxyName'>,
  apiOriginDomain: string,
  r: RegionInspection,
): RegionView {
  if (!r.dbReachable || !r.db) return { ...base, reachable: false, apiOriginDomain };
  const replica = r.db.replica;
  const status = !r.db.readOnly
    ? 'available'
    : replica
      ? replica.lastSqlErrno || replica.lastIoErrno
        ? `replicating with errors (${replica.lastSqlError || replica.lastIoError})`
        : 'available (replica)'
      : 'fenced (read-only, not replicating)';
  return {
    ...base,
    reachable: true,
    apiOriginDomain,
    isWriter: !r.db.readOnly,
    inGlobalCluster: !r.db.readOnly || replica !== undefined,
    clusterStatus: r.apiHealthy ? status : `${status}; API not answering`,
    engineVersion: r.db.version,
    instanceCount: 1,
  };
}
