// The local driver's traffic and token steps (failover-driver.ts keeps the database steps).
//   kvs:         PutKey on the KeyValueStore stand-in (edge-kvs.ts): the data plane, works with pri down.
//   origin-swap: UpdateDistribution through the control plane stand-in (control-plane.ts), which lives in
//                us-east-1 and so is down with it.
//   tokens:      with COGNITO_REPLICA=true, moving to secd activates its token endpoint (token-replica.ts).
import type { EdgeKeyView, Move, StepOutcome, TrafficOptions, TrafficOrigin } from '#failover/driver';
import { ACCESS_TOKEN_VALIDITY_MINUTES } from '#routes';
import { CLOUDFRONT_CONTROL_PLANE_REGION, EDGE_ORIGIN_KEY, REGION_ROLES, type RegionRole } from '#names';
import { putDistributionOrigin } from './control-plane';
import { readEdgeConfig, type EdgeConfig, type EdgeOrigin } from './edge-config';
import { apiHost, readKvs, selectOrigin, writeKvsKey, type KvsSnapshot } from './edge-kvs';
import { setReplicaStatus } from './token-replica';
import type { Runtime } from './runtime';
import type { StatePaths } from './state';

type RegionNames = Readonly<Record<RegionRole, string>>;

function knownOrigins(runtime: Runtime, names: RegionNames): EdgeOrigin[] {
  return REGION_ROLES.map((role) => ({ role, region: names[role], url: runtime.regions[role].apiUrl }));
}

function readEdge(paths: StatePaths, runtime: Runtime, names: RegionNames) {
  const edge = readEdgeConfig(paths.edge);
  if (!edge) return undefined;
  const kvs = readKvs(paths.kvs);
  return { edge, kvs, origin: selectOrigin(edge.origin, kvs.items[EDGE_ORIGIN_KEY], knownOrigins(runtime, names)) };
}

const versionOf = (edge: EdgeConfig, kvs: KvsSnapshot) => `config ${edge.version}, kvs ${kvs.etag}`;

export interface LocalEdgeView {
  /** Where the edge sends traffic, as it decides per request: the KVS key over the configured origin. */
  readonly traffic?: TrafficOrigin;
  /** The configured origin, as the control plane stand-in serves it: absent while that is down (as on AWS). */
  readonly configuredOrigin?: TrafficOrigin;
  readonly edgeKey: EdgeKeyView;
}

export function readLocalEdge(paths: StatePaths, runtime: Runtime, names: RegionNames): LocalEdgeView {
  const kvs = readKvs(paths.kvs);
  const value = kvs.items[EDGE_ORIGIN_KEY];
  const edgeKey: EdgeKeyView = { storeArn: `file:${paths.kvs}`, readable: true, ...(value ? { value } : {}) };
  const read = readEdge(paths, runtime, names);
  if (!read) return { edgeKey };
  const decidedBy = value !== undefined && apiHost(read.origin.url) === value ? 'kvs-key' : 'configured-origin';
  const origin = (o: EdgeOrigin, by: TrafficOrigin['decidedBy']): TrafficOrigin => ({
    originId: o.role,
    domainName: apiHost(o.url),
    version: versionOf(read.edge, read.kvs),
    deployed: true,
    decidedBy: by,
  });
  return {
    traffic: origin(read.origin, decidedBy),
    ...(runtime.controlPlane?.up ? { configuredOrigin: origin(read.edge.origin, 'configured-origin') } : {}),
    edgeKey,
  };
}

export async function switchLocalTraffic(
  paths: StatePaths,
  runtime: Runtime,
  names: RegionNames,
  move: Move,
  { progress, method }: TrafficOptions,
): Promise<StepOutcome> {
  const read = readEdge(paths, runtime, names);
  if (!read) throw new Error(`${paths.edge} is missing: is the rehearsal running?`);
  const { edge, kvs } = read;
  const url = runtime.regions[move.to].apiUrl;
  const target = names[move.to];
  if (method === 'kvs') {
    if (read.origin.url === url) {
      return { alreadyInPlace: true, detail: `the edge already sends traffic to ${target} (${url}; ${versionOf(edge, kvs)})` };
    }
    // PutKey with IfMatch: a store changed since this read fails loudly instead of being overwritten.
    const next = await writeKvsKey(paths.kvs, EDGE_ORIGIN_KEY, apiHost(url), kvs.etag);
    progress(`key value store ${kvs.etag} -> ${next.etag}: ${EDGE_ORIGIN_KEY} = ${apiHost(url)}`);
    return { alreadyInPlace: false, detail: `the edge sends traffic to ${target} (${url}) from the next request (kvs ${next.etag})` };
  }
  const plane = runtime.controlPlane;
  if (!plane?.up) {
    throw new Error(
      `the CloudFront control plane stand-in (${CLOUDFRONT_CONTROL_PLANE_REGION}) is down, ` +
        `so origin-swap cannot change the distribution; ` +
        `switch with the KeyValueStore instead: npm run failover -- --local --mode ${move.mode} --traffic kvs`,
    );
  }
  // Conditional on the version the plan was made from, like UpdateDistribution with IfMatch.
  const planned = move.topology.traffic && /^config (\d+)/.exec(move.topology.traffic.version);
  const expected = planned ? Number(planned[1]) : edge.version;
  const swapped =
    edge.origin.url === url ? undefined : await putDistributionOrigin(plane.url, expected, { role: move.to, region: target, url });
  if (swapped) progress(`distribution config version ${expected} -> ${swapped.version}: origin ${url}`);
  // A key naming another API wins over the configured origin at the edge: delete it, as the AWS driver does.
  const key = kvs.items[EDGE_ORIGIN_KEY];
  const stale = key !== undefined && key !== apiHost(url);
  if (stale) await writeKvsKey(paths.kvs, EDGE_ORIGIN_KEY, undefined, kvs.etag);
  return {
    alreadyInPlace: !swapped && !stale,
    detail:
      `the distribution's origin is ${target} (${url}) from the next request` +
      (swapped ? ` (version ${swapped.version})` : ' (it already was)') +
      (stale ? `; deleted ${EDGE_ORIGIN_KEY} (${key}), which overrode it` : ''),
  };
}

/** With the replica: activate secd's token endpoint (idempotent). Otherwise: say where tokens come from. */
export async function ensureLocalTokens(runtime: Runtime, names: RegionNames, move: Move): Promise<StepOutcome> {
  const primaryTokens = runtime.regions.pri.tokenUrl ?? runtime.tokenUrl;
  if (!runtime.tokenReplica) {
    return {
      alreadyInPlace: true,
      detail: `no user pool replica (COGNITO_REPLICA=false): tokens come from ${names.pri} only (${primaryTokens})`,
      ...(move.to === 'secd'
        ? {
            notes: [
              `while ${names.pri}'s token endpoint is down, clients keep working only until their token expires ` +
                `(${ACCESS_TOKEN_VALIDITY_MINUTES / 60} h); set COGNITO_REPLICA=true for tokens from ${names.secd}`,
            ],
          }
        : {}),
    };
  }
  if (move.to !== 'secd') {
    return { alreadyInPlace: true, detail: `tokens come from ${names.pri} (${primaryTokens}); the ${names.secd} replica is left as it is` };
  }
  const before = await setReplicaStatus(runtime.tokenReplica, 'ACTIVE');
  const where = runtime.regions.secd.tokenUrl ?? '(not published)';
  return before === 'ACTIVE'
    ? { alreadyInPlace: true, detail: `the ${names.secd} user pool replica is already ACTIVE: tokens from ${where}` }
    : { alreadyInPlace: false, detail: `the ${names.secd} user pool replica is now ACTIVE: tokens from ${where}` };
}
