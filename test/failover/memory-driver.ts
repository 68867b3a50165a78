// Two "regions" in memory behind the FailoverDriver interface, for tests of the orchestration and the
// CLI that must not know about AWS or the rehearsal. Every step is check → act if needed, like a real
// driver must be; failures reject (as an async driver's would) rather than throw.
import type { RegionRole } from '#names';
import type { DiscoverRequest, FailoverDriver, FailoverMode, Move, RegionView, StepOptions, StepOutcome, Topology } from '#failover/driver';

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
  readonly calls: string[] = [];
  readonly contacted: DiscoverRequest[] = [];

  describePromotion(mode: FailoverMode): string {
    return `memory ${mode}`;
  }

  discover(request: DiscoverRequest): Promise<Topology> {
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
    });
    return Promise.resolve({
      globalClusterId: 'global',
      edgeId: 'edge',
      regions: { pri: view('pri'), secd: view('secd') },
      traffic: { originId: 'api', domainName: DOMAIN[this.serving], version: '7', deployed: true },
      sources: [],
    });
  }

  replicationLagSeconds(): Promise<number | undefined> {
    this.calls.push('lag');
    return Promise.resolve(this.lag);
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

  switchTraffic(move: Move, options: StepOptions & { wait: boolean }): Promise<StepOutcome> {
    this.calls.push(`traffic:${move.to}:${options.wait ? 'wait' : 'nowait'}`);
    if (this.failOn === 'traffic') return Promise.reject(new Error('edge unreachable'));
    if (this.serving === move.to) return Promise.resolve({ alreadyInPlace: true, detail: 'already' });
    this.serving = move.to;
    return Promise.resolve({ alreadyInPlace: false, detail: 'switched' });
  }
}
