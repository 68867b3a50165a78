// A small, stateful simulation of the AWS side the failover driver talks to (two regions' SSM and RDS,
// CloudFront, CloudWatch), served through aws-sdk-client-mock on one client instance per service and
// region, so tests can see exactly which region every command went to. Time is the fake clock's:
// promotions and deployments finish when enough (simulated) time has passed.
import {
  CloudFrontClient,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  UpdateDistributionCommand,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeDBClustersCommand,
  DescribeDBProxyTargetsCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  RDSClient,
  RegisterDBProxyTargetsCommand,
  RemoveFromGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { GLOBAL_CLUSTER_ID, REGION_ROLES, clusterId, proxyName, ssmParameterName, type RegionRole } from '#names';
import type { AwsClients } from '#failover/aws/clients';
import { AwsFailoverDriver } from '#failover/aws/driver';
import type { AwsOverrides } from '#failover/aws/overrides';
import { fakeClock } from '#failover/clock';

export const REGIONS: Record<RegionRole, string> = { pri: 'us-east-1', secd: 'us-east-2' };
export const ACCOUNT = '123456789012';
export const DISTRIBUTION_ID = 'E2EXAMPLE123';
export const API_DOMAIN: Record<RegionRole, string> = {
  pri: 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com',
  secd: 'f6g7h8i9j0.execute-api.us-east-2.amazonaws.com',
};
export const clusterArn = (role: RegionRole) => `arn:aws:rds:${REGIONS[role]}:${ACCOUNT}:cluster:${clusterId(role)}`;

/** A realistic distribution: API origin plus a second origin and settings that must survive untouched. */
export function initialDistributionConfig(): DistributionConfig {
  return {
    CallerReference: 'todomgmt-app-pri-2026',
    Comment: 'ToDoMgmt API',
    Enabled: true,
    HttpVersion: 'http2and3',
    PriceClass: 'PriceClass_100',
    Aliases: { Quantity: 0, Items: [] },
    DefaultRootObject: '',
    Origins: {
      Quantity: 2,
      Items: [
        {
          Id: 'ToDoMgmtApiOrigin',
          DomainName: API_DOMAIN.pri,
          OriginPath: '/prod',
          CustomHeaders: { Quantity: 1, Items: [{ HeaderName: 'x-origin-verify', HeaderValue: 'kept-secret-value' }] },
          CustomOriginConfig: {
            HTTPPort: 80,
            HTTPSPort: 443,
            OriginProtocolPolicy: 'https-only',
            OriginSslProtocols: { Quantity: 1, Items: ['TLSv1.2'] },
            OriginReadTimeout: 30,
            OriginKeepaliveTimeout: 5,
          },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
          OriginShield: { Enabled: false },
        },
        {
          Id: 'StaticErrorPages',
          DomainName: 'todomgmt-errors.s3.us-east-1.amazonaws.com',
          OriginPath: '',
          CustomHeaders: { Quantity: 0, Items: [] },
          S3OriginConfig: { OriginAccessIdentity: '' },
          ConnectionAttempts: 3,
          ConnectionTimeout: 10,
        },
      ],
    },
    DefaultCacheBehavior: {
      TargetOriginId: 'ToDoMgmtApiOrigin',
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: {
        Quantity: 7,
        Items: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        CachedMethods: { Quantity: 2, Items: ['GET', 'HEAD'] },
      },
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
      Compress: true,
    },
    CacheBehaviors: { Quantity: 0, Items: [] },
    ViewerCertificate: { CloudFrontDefaultCertificate: true, MinimumProtocolVersion: 'TLSv1.2_2021' },
    Restrictions: { GeoRestriction: { RestrictionType: 'none', Quantity: 0 } },
    WebACLId: '',
    Logging: { Enabled: false, IncludeCookies: false, Bucket: '', Prefix: '' },
  };
}

const fault = (name: string, message = name, extra: object = {}) => Object.assign(new Error(message), { name, $metadata: {} }, extra);
const networkDown = (region: string) =>
  Object.assign(new Error(`connect ETIMEDOUT rds.${region}.amazonaws.com:443`), { code: 'ETIMEDOUT' });

type Service = 'rds' | 'ssm' | 'cloudwatch' | 'cloudfront';
export interface SentCommand {
  readonly service: Service;
  readonly region: string;
  readonly name: string;
  readonly input: Record<string, unknown>;
}

interface Pending {
  readonly kind: 'switching-over' | 'failing-over';
  readonly from: RegionRole;
  readonly to: RegionRole;
  readonly doneAt: number;
}

export class AwsWorld {
  readonly clock = fakeClock();
  writer: RegionRole = 'pri';
  members = new Set<RegionRole>(['pri', 'secd']);
  pending: Pending | undefined;
  /** Time until which a cluster is still busy (promoting after a detach, ...). */
  busyUntil: Record<RegionRole, number> = { pri: 0, secd: 0 };
  engineVersion: Record<RegionRole, string> = { pri: '8.0.mysql_aurora.3.10.0', secd: '8.0.mysql_aurora.3.10.0' };
  instances: Record<RegionRole, number> = { pri: 1, secd: 1 };
  proxyRegistered: Record<RegionRole, boolean> = { pri: true, secd: true };
  /** The writer's proxy target turns AVAILABLE READ_WRITE this long after promotion or registration. */
  proxyReadyAt: Record<RegionRole, number> = { pri: 0, secd: 0 };
  lagMs: number | undefined = 120;
  down = new Set<string>();
  distribution = initialDistributionConfig();
  etag = 1;
  deployedAt = 0;
  /** UpdateDistribution loses this many races: someone else edits the distribution first. */
  etagConflicts = 0;
  throttle = new Map<string, number>();
  denied = new Set<string>();
  /** Commands that "kill the process": they throw a non-AWS error once. */
  crashOn = new Set<string>();
  /** How long promotions and deployments take (simulated). */
  durations = { switchover: 75_000, failover: 50_000, detach: 40_000, proxy: 20_000, deploy: 240_000 };
  parameters: Record<string, Record<string, string>>;
  readonly sent: SentCommand[] = [];
  readonly createdClients: string[] = [];
  private readonly stubs: AwsStub<any, any, any>[] = [];

  constructor() {
    const own = (role: RegionRole) => ({
      [ssmParameterName(role, 'region')]: REGIONS[role],
      [ssmParameterName(role, 'cluster-id')]: clusterId(role),
      [ssmParameterName(role, 'cluster-arn')]: clusterArn(role),
      [ssmParameterName(role, 'proxy-name')]: proxyName(role),
      [ssmParameterName(role, 'proxy-endpoint')]: `${proxyName(role)}.proxy-abc.${REGIONS[role]}.rds.amazonaws.com`,
      [ssmParameterName(role, 'api-domain')]: API_DOMAIN[role],
      [ssmParameterName(role, 'api-url')]: `https://${API_DOMAIN[role]}/prod/`,
      [ssmParameterName(role, 'global-cluster-id')]: GLOBAL_CLUSTER_ID,
      [ssmParameterName(role, 'user-pool-id')]: 'us-east-1_EXAMPLE',
      [ssmParameterName(role, 'distribution-id')]: DISTRIBUTION_ID,
    });
    this.parameters = { [REGIONS.pri]: own('pri'), [REGIONS.secd]: own('secd') };
  }

  // --- the driver under test, wired to this world -------------------------------------------------

  driver(overrides?: AwsOverrides, timeouts?: ConstructorParameters<typeof AwsFailoverDriver>[0]['timeouts']): AwsFailoverDriver {
    return new AwsFailoverDriver({ regions: REGIONS, overrides, clients: this.clients(), clock: this.clock, timeouts });
  }

  clients(): AwsClients {
    const cache = new Map<string, any>();
    const make = <C>(service: Service, region: string, create: () => C): C => {
      const key = `${service}:${region}`;
      if (!cache.has(key)) {
        this.createdClients.push(key);
        const client = create();
        this.stubs.push(this.serve(service, region, client as any));
        cache.set(key, client);
      }
      return cache.get(key);
    };
    return {
      rds: (region) => make('rds', region, () => new RDSClient({ region, credentials: fakeCredentials })),
      ssm: (region) => make('ssm', region, () => new SSMClient({ region, credentials: fakeCredentials })),
      cloudwatch: (region) => make('cloudwatch', region, () => new CloudWatchClient({ region, credentials: fakeCredentials })),
      cloudfront: () => make('cloudfront', 'us-east-1', () => new CloudFrontClient({ region: 'us-east-1', credentials: fakeCredentials })),
    };
  }

  restore(): void {
    for (const stub of this.stubs) stub.restore();
  }

  // --- what tests look at --------------------------------------------------------------------------

  commands(name?: string): SentCommand[] {
    return this.sent.filter((c) => name === undefined || c.name === name);
  }

  static readonly MUTATING = [
    'SwitchoverGlobalCluster',
    'FailoverGlobalCluster',
    'RemoveFromGlobalCluster',
    'RegisterDBProxyTargets',
    'UpdateDistribution',
  ];

  mutations(): SentCommand[] {
    return this.sent.filter((c) => AwsWorld.MUTATING.includes(c.name));
  }

  isWriterNow(role: RegionRole): boolean {
    return this.isWriter(role);
  }

  apiOrigin() {
    return this.distribution.Origins!.Items!.find((o) => o.Id === 'ToDoMgmtApiOrigin')!;
  }

  /** The old primary's region came back after an unplanned failover: Aurora re-adds it as a secondary. */
  rejoin(role: RegionRole): void {
    this.down.delete(REGIONS[role]);
    this.members.add(role);
  }

  // --- the simulation -------------------------------------------------------------------------------

  private settle(): void {
    const now = this.clock.now();
    if (this.pending && now >= this.pending.doneAt) {
      this.writer = this.pending.to;
      this.proxyReadyAt[this.pending.to] = now + this.durations.proxy;
      this.pending = undefined;
    }
  }

  private isWriter(role: RegionRole): boolean {
    this.settle();
    if (!this.members.has(role)) return true; // detached: standalone writer
    return this.writer === role;
  }

  private serve(service: Service, region: string, client: { send: unknown }): AwsStub<any, any, any> {
    const stub = mockClient(client as any);
    stub.onAnyCommand().callsFake(async () => {
      throw new Error(`the test world does not simulate this ${service} command`);
    });
    const handlers = this.handlers(region);
    for (const [command, handler] of handlers[service]) {
      stub.on(command as any).callsFake(async (input: Record<string, unknown>) => {
        const name = (command as { name: string }).name.replace(/Command$/, '');
        this.sent.push({ service, region, name, input });
        if (this.down.has(region) && service !== 'cloudfront') throw networkDown(region);
        const throttled = this.throttle.get(name) ?? 0;
        if (throttled > 0) {
          this.throttle.set(name, throttled - 1);
          throw fault('ThrottlingException', 'Rate exceeded', { $metadata: { httpStatusCode: 400 } });
        }
        if (this.denied.has(`${service}:${name}`)) {
          throw fault(
            'AccessDenied',
            `User: arn:aws:sts::${ACCOUNT}:assumed-role/build/x is not authorized to perform: ${service}:${name}`,
            { $metadata: { httpStatusCode: 403 } },
          );
        }
        if (this.crashOn.delete(name)) throw new Error(`simulated crash before ${name}`);
        this.settle();
        return handler(input);
      });
    }
    return stub;
  }

  private roleIn(region: string): RegionRole {
    return REGION_ROLES.find((r) => REGIONS[r] === region)!;
  }

  private handlers(region: string): Record<Service, [unknown, (input: any) => unknown][]> {
    const here = this.roleIn(region);
    const roleOfArn = (arn: string) => REGION_ROLES.find((r) => clusterArn(r) === arn);
    const checkGlobal = (id: string) => {
      if (id !== GLOBAL_CLUSTER_ID) throw fault('GlobalClusterNotFoundFault', `Global cluster ${id} not found`);
    };
    return {
      ssm: [
        [
          GetParametersByPathCommand,
          (input: { Path: string; NextToken?: string }) => {
            const all = Object.entries(this.parameters[region] ?? {}).filter(([name]) => name.startsWith(input.Path));
            const start = Number(input.NextToken ?? 0);
            const page = all.slice(start, start + 10);
            return {
              Parameters: page.map(([Name, Value]) => ({ Name, Value, Type: 'String' })),
              NextToken: start + 10 < all.length ? String(start + 10) : undefined,
            };
          },
        ],
      ],
      cloudwatch: [
        [
          GetMetricDataCommand,
          (input: any) => {
            const query = input.MetricDataQueries[0].MetricStat;
            const dim = query.Metric.Dimensions[0].Value;
            const values = dim === clusterId(here) && this.lagMs !== undefined ? [this.lagMs, 90] : [];
            return { MetricDataResults: [{ Id: 'lag', Values: values, Timestamps: values.map(() => new Date(this.clock.now())) }] };
          },
        ],
      ],
      rds: [
        [
          DescribeGlobalClustersCommand,
          (input: { GlobalClusterIdentifier: string }) => {
            checkGlobal(input.GlobalClusterIdentifier);
            const p = this.pending;
            return {
              GlobalClusters: [
                {
                  GlobalClusterIdentifier: GLOBAL_CLUSTER_ID,
                  Status: p ? p.kind : 'available',
                  Engine: 'aurora-mysql',
                  GlobalClusterMembers: REGION_ROLES.filter((r) => this.members.has(r)).map((r) => ({
                    DBClusterArn: clusterArn(r),
                    IsWriter: this.writer === r,
                    Readers: REGION_ROLES.filter((o) => o !== r && this.members.has(o) && this.writer === r).map(clusterArn),
                  })),
                  FailoverState: p
                    ? {
                        Status: p.kind,
                        FromDbClusterArn: clusterArn(p.from),
                        ToDbClusterArn: clusterArn(p.to),
                        IsDataLossAllowed: p.kind === 'failing-over',
                      }
                    : undefined,
                },
              ],
            };
          },
        ],
        [
          DescribeDBClustersCommand,
          (input: { DBClusterIdentifier: string }) => {
            if (input.DBClusterIdentifier !== clusterId(here))
              throw fault('DBClusterNotFoundFault', `DBCluster ${input.DBClusterIdentifier} not found.`);
            const busy = this.pending?.to === here || this.clock.now() < this.busyUntil[here];
            return {
              DBClusters: [
                {
                  DBClusterIdentifier: clusterId(here),
                  DBClusterArn: clusterArn(here),
                  Status: busy ? 'modifying' : 'available',
                  Engine: 'aurora-mysql',
                  EngineVersion: this.engineVersion[here],
                  DBClusterMembers: Array.from({ length: this.instances[here] }, (_, i) => ({
                    DBInstanceIdentifier: `${clusterId(here)}-${i + 1}`,
                    IsClusterWriter: i === 0 && this.isWriter(here),
                  })),
                  GlobalClusterIdentifier: this.members.has(here) ? GLOBAL_CLUSTER_ID : undefined,
                },
              ],
            };
          },
        ],
        [
          SwitchoverGlobalClusterCommand,
          (input: { GlobalClusterIdentifier: string; TargetDbClusterIdentifier: string }) => {
            checkGlobal(input.GlobalClusterIdentifier);
            const to = roleOfArn(input.TargetDbClusterIdentifier);
            if (!to) throw fault('DBClusterNotFoundFault', `${input.TargetDbClusterIdentifier} not found`);
            if (this.pending || this.writer === to)
              throw fault('InvalidGlobalClusterStateFault', 'Global cluster is not in a state to switch over');
            if (this.engineVersion.pri !== this.engineVersion.secd) throw fault('InvalidGlobalClusterStateFault', 'engine versions differ');
            this.pending = { kind: 'switching-over', from: this.writer, to, doneAt: this.clock.now() + this.durations.switchover };
            return { GlobalCluster: { GlobalClusterIdentifier: GLOBAL_CLUSTER_ID } };
          },
        ],
        [
          FailoverGlobalClusterCommand,
          (input: { GlobalClusterIdentifier: string; TargetDbClusterIdentifier: string; AllowDataLoss?: boolean }) => {
            checkGlobal(input.GlobalClusterIdentifier);
            const to = roleOfArn(input.TargetDbClusterIdentifier);
            if (!to) throw fault('DBClusterNotFoundFault', `${input.TargetDbClusterIdentifier} not found`);
            if (input.AllowDataLoss !== true && this.down.has(REGIONS[this.writer])) {
              throw fault('InvalidGlobalClusterStateFault', 'the primary is unavailable: a switchover cannot proceed');
            }
            if (this.pending || this.writer === to)
              throw fault('InvalidGlobalClusterStateFault', 'Global cluster is not in a state to fail over');
            this.pending = { kind: 'failing-over', from: this.writer, to, doneAt: this.clock.now() + this.durations.failover };
            // The old primary leaves the global cluster until its region recovers and Aurora re-adds it.
            if (this.down.has(REGIONS[this.writer])) this.members.delete(this.writer);
            return { GlobalCluster: { GlobalClusterIdentifier: GLOBAL_CLUSTER_ID } };
          },
        ],
        [
          RemoveFromGlobalClusterCommand,
          (input: { GlobalClusterIdentifier: string; DbClusterIdentifier: string }) => {
            checkGlobal(input.GlobalClusterIdentifier);
            const role = roleOfArn(input.DbClusterIdentifier);
            if (!role) throw fault('DBClusterNotFoundFault', `${input.DbClusterIdentifier} not found (pass the ARN)`);
            if (!this.members.has(role)) throw fault('InvalidGlobalClusterStateFault', 'not a member');
            this.members.delete(role);
            this.busyUntil[role] = this.clock.now() + this.durations.detach;
            this.proxyReadyAt[role] = this.busyUntil[role] + this.durations.proxy;
            return { GlobalCluster: { GlobalClusterIdentifier: GLOBAL_CLUSTER_ID } };
          },
        ],
        [
          DescribeDBProxyTargetsCommand,
          (input: { DBProxyName: string; TargetGroupName?: string }) => {
            if (input.DBProxyName !== proxyName(here)) throw fault('DBProxyNotFoundFault', `DBProxy ${input.DBProxyName} not found`);
            if (!this.proxyRegistered[here]) return { Targets: [] };
            const writer = this.isWriter(here);
            const ready = this.clock.now() >= this.proxyReadyAt[here];
            return {
              Targets: [
                { Type: 'TRACKED_CLUSTER', RdsResourceId: clusterId(here), TargetHealth: { State: 'AVAILABLE' } },
                {
                  Type: 'RDS_INSTANCE',
                  RdsResourceId: `${clusterId(here)}-1`,
                  TrackedClusterId: clusterId(here),
                  Role: writer && ready ? 'READ_WRITE' : 'READ_ONLY',
                  TargetHealth: ready ? { State: 'AVAILABLE' } : { State: 'UNAVAILABLE', Reason: 'PROMOTED' },
                },
              ],
            };
          },
        ],
        [
          RegisterDBProxyTargetsCommand,
          (input: { DBProxyName: string; DBClusterIdentifiers?: string[] }) => {
            if (input.DBProxyName !== proxyName(here)) throw fault('DBProxyNotFoundFault', `DBProxy ${input.DBProxyName} not found`);
            if (this.proxyRegistered[here]) throw fault('DBProxyTargetAlreadyRegisteredFault', 'already registered');
            if (input.DBClusterIdentifiers?.[0] !== clusterId(here)) throw fault('DBClusterNotFoundFault', 'wrong cluster');
            this.proxyRegistered[here] = true;
            this.proxyReadyAt[here] = this.clock.now() + this.durations.proxy;
            return { DBProxyTargets: [] };
          },
        ],
      ],
      cloudfront: [
        [
          GetDistributionCommand,
          (input: { Id: string }) => {
            if (input.Id !== DISTRIBUTION_ID) throw fault('NoSuchDistribution', 'The specified distribution does not exist.');
            return {
              ETag: `E${this.etag}`,
              Distribution: {
                Id: DISTRIBUTION_ID,
                Status: this.clock.now() >= this.deployedAt ? 'Deployed' : 'InProgress',
                DistributionConfig: structuredClone(this.distribution),
              },
            };
          },
        ],
        [
          GetDistributionConfigCommand,
          (input: { Id: string }) => {
            if (input.Id !== DISTRIBUTION_ID) throw fault('NoSuchDistribution', 'The specified distribution does not exist.');
            return { ETag: `E${this.etag}`, DistributionConfig: structuredClone(this.distribution) };
          },
        ],
        [
          UpdateDistributionCommand,
          (input: { Id: string; IfMatch: string; DistributionConfig: DistributionConfig }) => {
            if (input.Id !== DISTRIBUTION_ID) throw fault('NoSuchDistribution', 'The specified distribution does not exist.');
            if (this.etagConflicts > 0) {
              this.etagConflicts--;
              this.distribution.Comment = `${this.distribution.Comment} (edited by someone else)`;
              this.etag++;
            }
            if (input.IfMatch !== `E${this.etag}`)
              throw fault('PreconditionFailed', 'The precondition given in one or more of the request-header fields evaluated to false.', {
                $metadata: { httpStatusCode: 412 },
              });
            this.distribution = structuredClone(input.DistributionConfig);
            this.etag++;
            this.deployedAt = this.clock.now() + this.durations.deploy;
            return { ETag: `E${this.etag}`, Distribution: { Id: DISTRIBUTION_ID, Status: 'InProgress' } };
          },
        ],
      ],
    };
  }
}

const fakeCredentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
