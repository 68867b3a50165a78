// The last step: read the state back, then ask the two URLs clients use which region answers them: the
// target's API directly and the edge (CloudFront). A stale api-domain parameter points the edge at an API
// that is not the target's; the promote and traffic steps would report success, these GETs do not.
import type { Clock } from './clock';
import { probeUrl } from './checks';
import type { DiscoverRequest, FailoverDriver, Move } from './driver';
import { FailoverError } from './errors';
import { describeProbe, probeRegion, type RegionProbe } from './http-probe';

export interface Verified {
  readonly detail: string;
  readonly notes: string[];
  readonly probes: RegionProbe[];
}

/** Bounded: about a minute of retries (2 + 4 + … + 32 s) for the edge, whose locations pick up a change one by one. */
const EDGE_ATTEMPTS = 6;

export async function verify(
  driver: FailoverDriver,
  move: Move,
  request: DiscoverRequest,
  waited: boolean,
  clock: Clock,
): Promise<Verified> {
  // Read back what this run may call; the old primary was asked about its health once, that is enough.
  const after = await driver.discover({ contact: request.contact });
  const target = after.regions[move.to];
  const problems: string[] = [];
  const notes: string[] = [];
  if (target.isWriter !== true) problems.push(`${target.clusterId} is not the writer`);
  if (after.traffic === undefined) problems.push('the traffic origin could not be read back');
  else if (after.traffic.domainName !== target.apiOriginDomain) problems.push(`traffic still goes to ${after.traffic.domainName}`);
  else if (waited && !after.traffic.deployed) problems.push('the edge reports the change as not yet deployed');

  const get = (url: string, attempts: number) =>
    probeRegion(url, { get: (u, t) => driver.httpGet(u, t), clock, expect: target.region, attempts });
  const probes: RegionProbe[] = [];
  if (target.apiUrl !== undefined) {
    const api = await get(probeUrl(target.apiUrl), 3);
    probes.push(api);
    if (api.region !== target.region)
      problems.push(`the ${target.region} API does not answer from ${target.region}: ${describeProbe(api)}`);
  }
  if (after.edgeUrl !== undefined) {
    // Without --no-wait the edge is Deployed by now; with it, the edge may still answer from the old region for a while.
    // A KeyValueStore key has no deployment: the edge locations pick it up within seconds, so always retry (bounded).
    const settles = waited || after.traffic?.decidedBy === 'kvs-key';
    const edge = await get(probeUrl(after.edgeUrl), settles ? EDGE_ATTEMPTS : 1);
    probes.push(edge);
    if (edge.region !== target.region) {
      const line = `the edge does not answer from ${target.region} yet: ${describeProbe(edge)}`;
      if (settles) problems.push(line);
      else notes.push(`${line} (--no-wait: check it again in a few minutes)`);
    }
  } else {
    notes.push('no edge URL is known (no edge-domain parameter): the edge was not asked which region answers');
  }
  if (problems.length > 0) throw new FailoverError(`verification failed: ${problems.join('; ')}`, 'system');
  const answered = probes.map((p) => `${new URL(p.url).host} answers from ${p.region}`).join(', ');
  const deployed = after.traffic!.deployed ? ' (deployed)' : ' (deploying)';
  return {
    detail: `${target.region} is writer, traffic → ${after.traffic!.domainName}${deployed}${answered ? `; ${answered}` : ''}`,
    notes,
    probes,
  };
}
