// Reads the topology from what the stacks published (SSM, per region) and what RDS and CloudFront say
// now. Only the regions the orchestration allows are called: an unplanned failover never waits on, nor
// even connects to, the region that is down.
import { GetDistributionCommand } from '@aws-sdk/client-cloudfront';
import { DescribeDBClustersCommand, DescribeGlobalClustersCommand, type DBCluster, type GlobalCluster } from '@aws-sdk/client-rds';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import {
  API_STAGE_NAME,
  EDGE_ORIGIN_KEY,
  FAILOVER_RUN_PARAMETER,
  GLOBAL_CLUSTER_ID,
  REGION_ROLES,
  SSM_PREFIX,
  clusterId,
  proxyName,
  ssmParameterName,
  type RegionRole,
  type SsmKey,
} from '#names';
import type { DiscoverRequest, EdgeKeyView, RegionView, Topology, TrafficOrigin, UserPoolView } from '../driver';
import { FailoverError } from '../errors';
import { AwsCallError, type AwsCaller } from './aws-call';
import type { AwsClients } from './clients';
import { findApiOrigin } from './cloudfront-origin';
import { probeCluster } from './health';
import { readEdgeKey } from './kvs';
import { OVERRIDE_VARIABLE, type AwsOverrides } from './overrides';
import { readRunRecords } from './run-record-store';

export interface AwsContext {
  readonly regions: Readonly<Record<RegionRole, string>>;
  readonly clients: AwsClients;
  readonly caller: AwsCaller;
  readonly overrides: AwsOverrides;
}

type Parameters = ReadonlyMap<string, string>;

/** All `/todomgmt/...` parameters one region holds, or undefined when the region does not answer. */
async function readParameters(ctx: AwsContext, region: string): Promise<Parameters | undefined> {
  const found = new Map<string, string>();
  let nextToken: string | undefined;
  try {
    do {
      const command = new GetParametersByPathCommand({ Path: SSM_PREFIX, Recursive: true, NextToken: nextToken });
      const page = await ctx.caller.run('ssm', region, command, () => ctx.clients.ssm(region).send(command));
      for (const p of page.Parameters ?? []) if (p.Name && p.Value !== undefined) found.set(p.Name, p.Value);
      nextToken = page.NextToken;
    } while (nextToken);
  } catch (error) {
    if (error instanceof AwsCallError && error.kind === 'unreachable') return undefined;
    throw error;
  }
  return found;
}

export async function describeCluster(ctx: AwsContext, role: RegionRole, id: string, source: string): Promise<DBCluster> {
  const region = ctx.regions[role];
  const command = new DescribeDBClustersCommand({ DBClusterIdentifier: id });
  try {
    const out = await ctx.caller.run('rds', region, command, () => ctx.clients.rds(region).send(command));
    const cluster = out.DBClusters?.[0];
    if (cluster) return cluster;
  } catch (error) {
    if (!(error instanceof AwsCallError && error.kind === 'not-found')) throw error;
  }
  throw new FailoverError(
    `Unknown cluster id ${id} in ${region} (${role}, from ${source}). ` +
      `Fix ${OVERRIDE_VARIABLE.clusterId[role]} or the SSM parameter ${ssmParameterName(role, 'cluster-id')}, ` +
      `or check the ${role} stacks are deployed.`,
    'user',
  );
}

export async function describeGlobalCluster(ctx: AwsContext, region: string, id: string): Promise<GlobalCluster> {
  const command = new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id });
  try {
    const out = await ctx.caller.run('rds', region, command, () => ctx.clients.rds(region).send(command));
    const global = out.GlobalClusters?.[0];
    if (global) return global;
  } catch (error) {
    if (!(error instanceof AwsCallError && error.kind === 'not-found')) throw error;
  }
  throw new FailoverError(
    `Unknown global cluster ${id} (asked in ${region}). ` +
      `Fix the SSM parameter ${ssmParameterName('secd', 'global-cluster-id')} or check the pri stacks are deployed.`,
    'user',
  );
}

/** `arn:aws:rds:us-east-2:123456789012:cluster:todomgmt-infra-secd-db-cluster` → role by its region. */
export function roleOfClusterArn(ctx: AwsContext, arn: string | undefined): RegionRole | undefined {
  const region = arn?.split(':')[3];
  return REGION_ROLES.find((role) => ctx.regions[role] === region);
}

export async function discover(ctx: AwsContext, request: DiscoverRequest): Promise<Topology> {
  const sources: string[] = [];
  const contacted = REGION_ROLES.filter((role) => request.contact.includes(role));
  const parameters = new Map<RegionRole, Parameters | undefined>();
  await Promise.all(contacted.map(async (role) => parameters.set(role, await readParameters(ctx, ctx.regions[role]))));

  for (const role of contacted) {
    const own = parameters.get(role);
    const published = own?.get(ssmParameterName(role, 'region'));
    if (published !== undefined && published !== ctx.regions[role]) {
      throw new FailoverError(
        `${ctx.regions[role]} publishes ${ssmParameterName(role, 'region')}=${published}: the regions are swapped. ` +
          'AWS_SRC_REGION / AWS_DEST_REGION name the pri and secd regions as deployed; choose the direction with --to.',
        'user',
      );
    }
  }

  /** A fact from whichever answering region holds it; system-wide facts prefer secd's copy. */
  const published = (role: RegionRole, key: SsmKey): string | undefined => {
    const name = ssmParameterName(role, key);
    for (const from of ['secd', 'pri'] as const) {
      const v = parameters.get(from)?.get(name);
      if (v !== undefined) {
        sources.push(`${key}(${role}) from ssm:${name} in ${ctx.regions[from]}`);
        return v;
      }
    }
    return undefined;
  };
  const systemFact = (key: SsmKey) => published('secd', key) ?? published('pri', key);
  const pick = (
    envValue: string | undefined,
    envName: string | undefined,
    fromSsm: () => string | undefined,
    fallback?: string,
    label?: string,
  ) => {
    if (envValue !== undefined) {
      sources.push(`${label} from env:${envName}`);
      return { value: envValue, source: `env ${envName}` };
    }
    const v = fromSsm();
    if (v !== undefined) return { value: v, source: 'SSM' };
    if (fallback !== undefined) sources.push(`${label} = default ${fallback} (assets/common/names.ts)`);
    return { value: fallback, source: 'the default name' };
  };

  const globalClusterId = pick(undefined, undefined, () => systemFact('global-cluster-id'), GLOBAL_CLUSTER_ID, 'global-cluster-id').value!;
  const edgeId = pick(
    ctx.overrides.distributionId,
    OVERRIDE_VARIABLE.distributionId,
    () => systemFact('distribution-id'),
    undefined,
    'distribution-id',
  ).value;
  if (edgeId === undefined) {
    const asked = contacted.map((r) => ctx.regions[r]).join(', ');
    throw new FailoverError(
      `No CloudFront distribution id: ${ssmParameterName('secd', 'distribution-id')} was not readable in ${asked}. ` +
        'Set CLOUDFRONT_DISTRIBUTION_ID, or deploy the stacks that publish it.',
      'user',
    );
  }

  const answering = contacted.filter((role) => parameters.get(role) !== undefined);
  if (answering.length === 0) {
    throw new FailoverError(
      `No region answered (${contacted.map((r) => ctx.regions[r]).join(', ')}): check network access and credentials.`,
      'system',
    );
  }
  // Ask for the global cluster in the target-side region first: it is the one that must be up.
  const global = await describeGlobalCluster(ctx, ctx.regions[answering[answering.length - 1]], globalClusterId);
  const members = global.GlobalClusterMembers ?? [];
  const runRecord = readRunRecords(
    new Map(contacted.map((role) => [role, parameters.get(role)?.get(FAILOVER_RUN_PARAMETER)])),
    ctx,
    sources,
  );

  const views = {} as Record<RegionRole, RegionView>;
  for (const role of REGION_ROLES) {
    const reachable = answering.includes(role);
    const cluster = pick(
      ctx.overrides.clusterId[role],
      OVERRIDE_VARIABLE.clusterId[role],
      () => published(role, 'cluster-id'),
      clusterId(role),
      `cluster-id(${role})`,
    );
    const proxy = pick(
      ctx.overrides.proxyName[role],
      OVERRIDE_VARIABLE.proxyName[role],
      () => published(role, 'proxy-name'),
      proxyName(role),
      `proxy-name(${role})`,
    );
    const api = pick(
      ctx.overrides.apiOriginDomain[role],
      OVERRIDE_VARIABLE.apiOriginDomain[role],
      () => published(role, 'api-domain'),
      undefined,
      `api-domain(${role})`,
    );
    const member = members.find((m) => roleOfClusterArn(ctx, m.DBClusterArn) === role);
    if (!reachable) {
      const probed = request.probe?.includes(role) ? await probeCluster(ctx, role, cluster.value!, member?.IsWriter) : undefined;
      views[role] = {
        role,
        region: ctx.regions[role],
        reachable: false,
        clusterId: cluster.value!,
        clusterArn: member?.DBClusterArn,
        proxyName: proxy.value,
        apiOriginDomain: api.value,
        isWriter: member?.IsWriter,
        inGlobalCluster: member ? true : undefined,
        synchronization: member?.SynchronizationStatus,
        ...(probed ? { health: probed.health, engineVersion: probed.engineVersion, clusterStatus: probed.status } : {}),
      };
      continue;
    }
    const db = await describeCluster(ctx, role, cluster.value!, cluster.source);
    const inGlobal = member !== undefined;
    views[role] = {
      role,
      region: ctx.regions[role],
      reachable: true,
      clusterId: cluster.value!,
      clusterArn: db.DBClusterArn,
      proxyName: proxy.value,
      apiOriginDomain: api.value,
      // A cluster outside the global database (after a detach) is a standalone writer.
      isWriter: inGlobal ? member.IsWriter === true : db.GlobalClusterIdentifier ? undefined : true,
      inGlobalCluster: inGlobal,
      clusterStatus: db.Status,
      engineVersion: db.EngineVersion,
      instanceCount: db.DBClusterMembers?.length ?? 0,
      synchronization: member?.SynchronizationStatus,
    };
  }

  const storeArn = pick(ctx.overrides.kvsArn, OVERRIDE_VARIABLE.kvsArn, () => systemFact('kvs-arn'), undefined, 'kvs-arn').value;
  const edgeKey = storeArn === undefined ? undefined : await readKey(ctx, storeArn, sources);
  const configured = await readTraffic(ctx, edgeId, views, sources);
  const traffic = effectiveOrigin(edgeKey, configured, sources);
  // A region not contacted has no readable api-domain; CloudFront's current origin names it when it is that region's API.
  for (const role of REGION_ROLES) {
    const host = traffic?.domainName.toLowerCase();
    if (views[role].apiOriginDomain === undefined && host?.endsWith(`.execute-api.${ctx.regions[role]}.amazonaws.com`)) {
      views[role] = { ...views[role], apiOriginDomain: traffic!.domainName };
      sources.push(`api-domain(${role}) from the edge's current origin`);
    }
  }
  for (const role of REGION_ROLES) {
    const domain = views[role].apiOriginDomain;
    // What CloudFront requests (origin host + stage), so the probe asks exactly the API traffic will go to.
    if (domain !== undefined) views[role] = { ...views[role], apiUrl: `https://${domain}/${API_STAGE_NAME}` };
  }
  const edgeDomain = systemFact('edge-domain') ?? configured?.distributionDomain;
  const replicaArn = published('secd', 'user-pool-replica-arn');
  // A replica shares the pool's id (`<primary region>_…`), the last part of its ARN.
  const userPool: UserPoolView = {
    userPoolId: published('pri', 'user-pool-id') ?? published('secd', 'user-pool-id') ?? replicaArn?.split('/').pop(),
    replicaArn,
  };
  const pending = global.FailoverState?.Status;
  return {
    globalClusterId,
    edgeId,
    regions: views,
    traffic,
    configuredOrigin: configured?.origin,
    edgeKey,
    userPool,
    pendingOperation: pending ? `${pending} to ${global.FailoverState?.ToDbClusterArn ?? '?'}` : undefined,
    sources,
    edgeUrl: edgeDomain ? `https://${edgeDomain}` : undefined,
    engineVersion: global.EngineVersion,
    runRecord,
  };
}

/** The key, read from the KeyValueStore's data plane; a store that does not answer leaves the value unknown. */
async function readKey(ctx: AwsContext, storeArn: string, sources: string[]): Promise<EdgeKeyView> {
  try {
    const value = await readEdgeKey(ctx, storeArn);
    sources.push(
      value === undefined
        ? `edge key ${EDGE_ORIGIN_KEY} absent (KeyValueStore data plane, global endpoint): the configured origin decides`
        : `edge key ${EDGE_ORIGIN_KEY}=${value} (KeyValueStore data plane, global endpoint)`,
    );
    return { storeArn, readable: true, value };
  } catch (error) {
    if (error instanceof AwsCallError && (error.kind === 'unreachable' || error.kind === 'server-error')) {
      sources.push(`the KeyValueStore ${storeArn} did not answer: edge key unknown`);
      return { storeArn, readable: false };
    }
    throw error;
  }
}

/** Where the edge sends requests now: the key's host when the key is present, else the configured origin. */
function effectiveOrigin(
  key: EdgeKeyView | undefined,
  configured: { readonly origin: TrafficOrigin } | undefined,
  sources: string[],
): TrafficOrigin | undefined {
  if (key?.value !== undefined) {
    if (configured === undefined) sources.push("traffic origin from the edge key alone (CloudFront's control plane not read)");
    // No deployment: the edge locations pick a key change up within seconds.
    return { originId: `kvs:${EDGE_ORIGIN_KEY}`, domainName: key.value, version: 'kvs', deployed: true, decidedBy: 'kvs-key' };
  }
  if (key !== undefined && !key.readable) return undefined;
  return configured === undefined ? undefined : { ...configured.origin, decidedBy: 'configured-origin' };
}

async function readTraffic(
  ctx: AwsContext,
  distributionId: string,
  views: Record<RegionRole, RegionView>,
  sources: string[],
): Promise<{ readonly origin: TrafficOrigin; readonly distributionDomain?: string } | undefined> {
  const command = new GetDistributionCommand({ Id: distributionId });
  let out;
  try {
    out = await ctx.caller.run('cloudfront', 'global', command, () => ctx.clients.cloudfront().send(command));
  } catch (error) {
    // Its control plane did not answer, or answered with errors: the origin is unknown (a forceable check says so).
    if (error instanceof AwsCallError && (error.kind === 'unreachable' || error.kind === 'server-error')) {
      sources.push(
        `CloudFront's control plane (us-east-1) ${error.kind === 'unreachable' ? 'did not answer' : 'answered with an error'}: ` +
          'configured origin unknown',
      );
      return undefined;
    }
    if (error instanceof AwsCallError && error.kind === 'not-found') {
      throw new FailoverError(
        `Unknown CloudFront distribution ${distributionId}: ` +
          `fix CLOUDFRONT_DISTRIBUTION_ID or ${ssmParameterName('secd', 'distribution-id')}.`,
        'user',
        { cause: error },
      );
    }
    throw error;
  }
  const config = out.Distribution?.DistributionConfig;
  if (!config || !out.ETag) throw new FailoverError(`CloudFront returned no config or ETag for ${distributionId}`, 'system');
  const origin = findApiOrigin(
    distributionId,
    config,
    knownDomains(views),
    REGION_ROLES.map((r) => views[r].region),
  );
  sources.push(`configured origin ${origin.DomainName} from CloudFront's control plane (us-east-1)`);
  return {
    origin: { originId: origin.Id!, domainName: origin.DomainName!, version: out.ETag, deployed: out.Distribution?.Status === 'Deployed' },
    distributionDomain: out.Distribution?.DomainName,
  };
}

export const knownDomains = (views: Readonly<Record<RegionRole, RegionView>>): string[] =>
  REGION_ROLES.map((r) => views[r].apiOriginDomain).filter((d): d is string => d !== undefined);
