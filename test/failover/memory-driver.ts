// Two "regions" in memory behind the FailoverDriver interface, for tests of the orchestration and the
// CLI that must not know about AWS or the rehearsal. Every step is check → act if needed, like a real
// driver must be; failures reject (as an async driver's would) rather than throw.
import { REGION_HEADER } from '#routes';
import type { RegionRole } from '#names';
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
import type { HttpAnswer } from '#failover/http-probe';
import type { RunRecord } from '#failover/run-record';

export const DOMAIN: Record<RegionRole, string> = { pri: 'pri.edge.test', secd: 'secd.edge.test' };

export class MemoryDriver implements FailoverDriver {
  readonly name = 'memory';
  readonly regionNames = { pri: 'east', secd: 'west' };
  modes: FailoverMode[] = ['switchover', 'failover', 'detach'];
  writer: RegionRole = 'pri';
  serving: RegionRole = 'pri';
  proxyOk: Record<RegionRole, boolean> = { pri: true, secd: true };
  lag: number | undefined = 1;
  down = new Set<RegionRole>();
  failOn: string | undefined;
  /** The run record as each region holds it; a region in `down` neither reads nor writes it. */
  records: Partial<Record<RegionRole, RunRecord>> = {};
  /** Whether the old primary answers a health probe and is healthy. */
  healthyWhenProbed = false;
  readonly calls: string[] = [];
  readonly contacted: DiscoverRequest[] = [];
  private firstCall: number | undefined;

  describePromotion(mode: FailoverMode): string {
    return `memory ${mode}`;
  }

  discover(request: DiscoverRequest): Promise<Topology> {
    this.firstCall ??= Date.now();
    this.calls.push('discover');
    this.contacted.push(request);
    const view = (role: RegionRole): RegionView => ({
      role,
      region: this.regionNames[role],
      reachable: request.contact.includes(role) && !this.down.has(role),
      clusterId: `db-${role}`,
      proxyName: `proxy-${role}`,
      apiOriginDomain: DOMAIN[role],
      isWriter: this.writer === role,
      engineVersion: '10.11',
      instanceCount: 1,
      apiUrl: `https://${DOMAIN[role]}`,
      ...(request.probe?.includes(role)
        ? {
            health: {
              answered: !this.down.has(role),
              healthy: !this.down.has(role) && this.healthyWhenProbed && this.writer === role,
              detail: this.down.has(role) ? 'did not answer' : 'answered',
            },
          }
        : {}),
    });
    const copies = (['pri', 'secd'] as const).filter((r) => request.contact.includes(r) && !this.down.has(r)).map((r) => this.records[r]);
    const runRecord = copies.filter((r) => r !== undefined).sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt))[0];
    return Promise.resolve({
      globalClusterId: 'global',
      edgeId: 'edge',
      regions: { pri: view('pri'), secd: view('secd') },
      traffic: { originId: 'api', domainName: DOMAIN[this.serving], version: '7', deployed: true },
      sources: [],
      edgeUrl: 'https://edge.test',
      ...(runRecord ? { runRecord } : {}),
    });
  }

  replicationLag(): Promise<LagReading> {
    this.calls.push('lag');
    return Promise.resolve({ seconds: this.lag, source: 'memory lag' });
  }

  /** Each region's API answers from itself; the edge from the region it serves. */
  httpGet(url: string): Promise<HttpAnswer> {
    const host = new URL(url).host;
    const role = host === 'edge.test' ? this.serving : (['pri', 'secd'] as const).find((r) => DOMAIN[r] === host);
    if (role === undefined || this.down.has(role)) return Promise.reject(Object.assign(new Error('no answer'), { code: 'ENOTFOUND' }));
    return Promise.resolve({ status: 401, headers: { [REGION_HEADER]: this.regionNames[role] } });
  }

  saveRunRecord(record: RunRecord, roles: readonly RegionRole[]): Promise<RecordWrite[]> {
    return Promise.resolve(
      roles.map((role) => {
        if (this.down.has(role)) return { role, saved: false, detail: `${this.regionNames[role]}: not written (did not answer)` };
        this.records[role] = record;
        return { role, saved: true, detail: `${this.regionNames[role]}: saved` };
      }),
    );
  }

  keepLostWrites(_topology: Topology, oldPrimary: RegionRole): Promise<KeptWrites> {
    this.calls.push(`keep:${oldPrimary}`);
    return Promise.resolve({ alreadyInPlace: false, detail: 'kept', kept: `copy-of-${oldPrimary}` });
  }

  firstCallAt(): number | undefined {
    return this.firstCall;
  }

  promote(move: Move, options: StepOptions): Promise<StepOutcome> {
    this.calls.push(`promote:${move.mode}:${move.to}`);
    if (this.failOn === 'promote') return Promise.reject(new Error('promotion exploded'));
    if (this.writer === move.to) return Promise.resolve({ alreadyInPlace: true, detail: 'already writer' });
    options.progress('promoting');
    this.writer = move.to;
    return Promise.resolve({ alreadyInPlace: false, detail: 'promoted', notes: ['old primary rejoins as a replica'] });
  }

  ensureProxy(move: Move): Promise<StepOutcome> {
    this.calls.push(`proxy:${move.to}`);
    if (this.proxyOk[move.to]) return Promise.resolve({ alreadyInPlace: true, detail: 'ok' });
    this.proxyOk[move.to] = true;
    return Promise.resolve({ alreadyInPlace: false, detail: 'registered' });
  }

  switchTraffic(move: Move, options: TrafficOptions): Promise<StepOutcome> {
    this.calls.push(`traffic:${move.to}:${options.method}:${options.wait ? 'wait' : 'nowait'}`);
    if (this.failOn === 'traffic') return Promise.reject(new Error('edge unreachable'));
    if (this.serving === move.to) return Promise.resolve({ alreadyInPlace: true, detail: 'already' });
    this.serving = move.to;
    return Promise.resolve({ alreadyInPlace: false, detail: 'switched' });
  }

  ensureTokens(move: Move): Promise<StepOutcome> {
    this.calls.push(`tokens:${move.to}`);
    if (this.failOn === 'tokens') return Promise.reject(new Error('replica unreachable'));
    return Promise.resolve({ alreadyInPlace: true, detail: 'tokens from the primary pool' });
  }
}
