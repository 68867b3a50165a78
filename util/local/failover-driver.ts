// The failover program's driver for the local rehearsal: the same orchestration as on AWS
// (`npm run failover -- --local ...`), acting on the two local MariaDB servers, topology.json and the
// edge's versioned config instead of Aurora, RDS Proxy and CloudFront.
//   switchover: fence the old primary (read_only, in-flight writes finish or are cut before being
//               acknowledged), wait until the target applied every GTID, promote it, point the old
//               primary at it: no acknowledged write is lost.
//   failover:   never contacts the old primary: apply what already arrived, promote. The old primary
//               boots read-only, rejoins as a replica when revived (rebuilt, dump kept, if it holds
//               writes that never arrived), and is fenced by the supervisor's reconciler if it is seen up.
// Every database step is the replica manager's (replica-manager.ts); this file maps them to the steps.
import type { FailoverDriver, FailoverMode, Move, RegionView, StepOptions, StepOutcome, Topology, TrafficOrigin } from '#failover/driver';
import { loadLocalConfig, readEnv, type LocalConfig } from '#config';
import { REGION_ROLES, type RegionRole } from '#names';
import { readEdgeConfig, updateEdgeOrigin } from './edge-config';
import { inspectRegion, type RegionInspection } from './inspect';
import { ReplicaManager } from './replica-manager';
import { liveRuntime, type Runtime } from './runtime';
import { loadSecrets, type LocalSecrets } from './secrets';
import { statePaths, type StatePaths } from './state';

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

const apiDomain = (url: string) => new URL(url).host;

export class LocalFailoverDriver implements FailoverDriver {
  readonly name = 'local';
  // detach has no local equivalent: a standalone second writer is what the fencing exists to prevent.
  readonly modes: readonly FailoverMode[] = ['switchover', 'failover'];
  readonly regionNames: Readonly<Record<RegionRole, string>>;
  private readonly paths: StatePaths;

  constructor(
    config: LocalConfig,
    private readonly catchUpTimeoutSeconds: number,
  ) {
    this.regionNames = config.regions;
    this.paths = statePaths(config.stateDir);
  }

  describePromotion(mode: FailoverMode): string {
    return mode === 'switchover'
      ? 'fence the writer (read_only), wait until the replica applied every GTID, promote it, re-point the old primary at it'
      : 'promote the replica (STOP SLAVE, RESET SLAVE ALL, read_only=0) without contacting the old primary; it rejoins fenced';
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

  async discover({ contact }: { readonly contact: readonly RegionRole[] }): Promise<Topology> {
    // Not running at all is not "both regions down": say what to do instead of refusing obscurely.
    const runtime = this.runtime();
    const sources = [`file:${this.paths.runtime}`, `file:${this.paths.topology}`, `file:${this.paths.edge}`];
    const regions = {} as Record<RegionRole, RegionView>;
    const secrets = this.secrets();
    for (const role of REGION_ROLES) {
      const base = { role, region: this.regionNames[role], clusterId: `mariadb-${role}`, proxyName: 'none (direct connection)' };
      const apiOriginDomain = apiDomain(runtime.regions[role].apiUrl);
      if (!contact.includes(role)) {
        regions[role] = { ...base, reachable: false, apiOriginDomain };
        continue;
      }
      regions[role] = viewOf(base, apiOriginDomain, await inspectRegion(role, runtime.regions[role], secrets));
    }
    const edge = readEdgeConfig(this.paths.edge);
    const traffic: TrafficOrigin | undefined = edge
      ? { originId: edge.origin.role, domainName: apiDomain(edge.origin.url), version: String(edge.version), deployed: true }
      : undefined;
    return {
      globalClusterId: 'local GTID replication',
      edgeId: `local edge ${runtime.edgeUrl}`,
      regions,
      ...(traffic ? { traffic } : {}),
      sources,
    };
  }

  async replicationLagSeconds(move: Move): Promise<number | undefined> {
    const writerReachable = move.mode === 'switchover' && move.topology.regions[move.from].reachable;
    return this.replicas().replicaLagSeconds(move.to, writerReachable);
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
      return move.mode === 'switchover'
        ? this.switchover(replicas, move, progress)
        : this.failover(replicas, move, progress, `${source} was not contacted`);
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

  private async failover(replicas: ReplicaManager, move: Move, progress: (m: string) => void, why: string): Promise<StepOutcome> {
    const [from, to] = [this.regionNames[move.from], this.regionNames[move.to]];
    progress(`${why}; applying what ${to} already received before promoting it`);
    const received = await replicas.applyReceived(move.to, this.catchUpTimeoutSeconds);
    const topology = await replicas.promote(move.to, 'failover', `promoted without ${from} at ${received || '(nothing received)'}`);
    progress(`${to} promoted (generation ${topology.generation})`);
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

  async switchTraffic(move: Move, { progress }: StepOptions & { readonly wait: boolean }): Promise<StepOutcome> {
    const runtime = this.runtime();
    const edge = readEdgeConfig(this.paths.edge);
    if (!edge) throw new Error(`${this.paths.edge} is missing: is the rehearsal running?`);
    const url = runtime.regions[move.to].apiUrl;
    if (edge.origin.role === move.to && edge.origin.url === url) {
      return {
        alreadyInPlace: true,
        detail: `the edge already sends traffic to ${this.regionNames[move.to]} (${url}), version ${edge.version}`,
      };
    }
    // Conditional on the version the plan was made from, like UpdateDistribution with IfMatch.
    const expected = move.topology.traffic ? Number(move.topology.traffic.version) : edge.version;
    const next = await updateEdgeOrigin(this.paths.edge, expected, { role: move.to, region: this.regionNames[move.to], url });
    progress(`edge config version ${expected} -> ${next.version}: origin ${url}`);
    return {
      alreadyInPlace: false,
      detail: `the edge sends traffic to ${this.regionNames[move.to]} (${url}) from the next request (version ${next.version})`,
    };
  }
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
