// A small, stateful simulation of the AWS side the failover driver talks to (two regions' SSM and RDS,
// CloudFront, CloudWatch), served through aws-sdk-client-mock on one client instance per service and
// region, so tests can see exactly which region every command went to. Time is the fake clock's:
// promotions and deployments finish when enough (simulated) time has passed. What it promises and
// what it does not model: ../aws-world.md; ../aws-world.test.ts holds it to that.
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { RDSClient } from '@aws-sdk/client-rds';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { EDGE_ORIGIN_KEY, type RegionRole } from '#names';
import type { AwsClients } from '#failover/aws/clients';
import { AwsFailoverDriver, type AwsDriverProps } from '#failover/aws/driver';
import type { AwsOverrides } from '#failover/aws/overrides';
import type { HttpAnswer } from '#failover/http-probe';
import { cloudfrontRoutes } from './cloudfront';
import { cognitoRoutes, kvsRoutes } from './kvs-cognito';
import { ACCOUNT, REGIONS, fault, roleIn } from './fixtures';
import { rdsRoutes } from './rds';
import type { ClientStub, Gate, Route } from './route';
import { httpsAnswer } from './https';
import { snapshotRoutes } from './snapshots';
import { cloudwatchRoutes, ssmRoutes } from './ssm-cloudwatch';
import { AwsWorldState } from './state';

export {
  ACCOUNT,
  API_DOMAIN,
  DISTRIBUTION_ID,
  EDGE_DOMAIN,
  KVS_ARN,
  REGIONS,
  REPLICA_ARN,
  USER_POOL_ID,
  clusterArn,
  initialDistributionConfig,
} from './fixtures';
export type { Pending } from './state';

export type Service = 'rds' | 'ssm' | 'cloudwatch' | 'cloudfront' | 'cloudfront-keyvaluestore' | 'cognito-idp';

export interface SentCommand {
  readonly service: Service;
  readonly region: string;
  readonly name: string;
  readonly input: Record<string, unknown>;
}

const networkDown = (service: Service, region: string) =>
  Object.assign(new Error(`connect ETIMEDOUT ${service}.${region}.amazonaws.com:443`), { code: 'ETIMEDOUT' });

export class AwsWorld extends AwsWorldState {
  static readonly MUTATING = [
    'SwitchoverGlobalCluster',
    'FailoverGlobalCluster',
    'RemoveFromGlobalCluster',
    'RegisterDBProxyTargets',
    'UpdateDistribution',
    'CopyDBClusterSnapshot',
    'PutKey',
    'DeleteKey',
    'UpdateUserPoolReplica',
  ];

  /** Calls by API name that fail with ThrottlingException this many more times. */
  throttle = new Map<string, number>();
  /** `service:Action`s the credentials may not call (AccessDenied). */
  denied = new Set<string>();
  /** Commands that "kill the process": they throw a non-AWS error once. */
  crashOn = new Set<string>();
  /** API name → the call (1 = the next) that "kills the process", for a crash later in a run. */
  private readonly crashAt = new Map<string, number>();
  /** Calls by API name that fail with HTTP 503 ServiceUnavailable (the region answered, with an error) this many more times. */
  serverErrors = new Map<string, number>();
  /** Every HTTPS GET the driver's probe made, in order. */
  readonly probes: string[] = [];
  /** Every command sent, in order, including those that then failed. */
  readonly sent: SentCommand[] = [];
  /** `service:region` of every client created, in order. */
  readonly createdClients: string[] = [];
  private readonly stubs: ClientStub[] = [];

  // --- the driver under test, wired to this world -------------------------------------------------

  driver(overrides?: AwsOverrides, timeouts?: AwsDriverProps['timeouts']): AwsFailoverDriver {
    return new AwsFailoverDriver({
      regions: REGIONS,
      overrides,
      clients: this.clients(),
      clock: this.clock,
      timeouts,
      httpGet: (url) => this.httpGet(url),
    });
  }

  /** The driver's HTTPS probe, answered by this world (see https.ts); a rejected promise when nothing answers. */
  httpGet(url: string): Promise<HttpAnswer> {
    this.probes.push(url);
    return new Promise((resolve) => {
      this.settle();
      resolve(httpsAnswer(this, url));
    });
  }

  /** The nth call of that API from now (1 = the next) fails once with a plain error, as if the process died there. */
  crashOnCall(name: string, nth: number): void {
    this.crashAt.set(name, nth);
  }

  /** Clients created on first use, like the driver's own; each is served by this world. */
  clients(): AwsClients {
    const cache = new Map<string, unknown>();
    const make = <C>(service: Service, region: string, create: () => C, stub: (client: C) => ClientStub): C => {
      const key = `${service}:${region}`;
      if (!cache.has(key)) {
        this.createdClients.push(key);
        const client = create();
        this.stubs.push(this.serve(service, region, stub(client)));
        cache.set(key, client);
      }
      return cache.get(key) as C;
    };
    const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
    return {
      rds: (region) => make('rds', region, () => new RDSClient({ region, credentials }), mockClient),
      ssm: (region) => make('ssm', region, () => new SSMClient({ region, credentials }), mockClient),
      cloudwatch: (region) => make('cloudwatch', region, () => new CloudWatchClient({ region, credentials }), mockClient),
      cloudfront: () => make('cloudfront', 'us-east-1', () => new CloudFrontClient({ region: 'us-east-1', credentials }), mockClient),
      kvs: () =>
        make(
          'cloudfront-keyvaluestore',
          'global',
          () => new CloudFrontKeyValueStoreClient({ region: 'us-east-1', credentials }),
          // Its ServiceInputTypes union is narrower than `object`: the stub is the same at run time.
          (client) => mockClient(client) as unknown as ClientStub,
        ),
      cognito: (region) => make('cognito-idp', region, () => new CognitoIdentityProviderClient({ region, credentials }), mockClient),
    };
  }

  restore(): void {
    for (const stub of this.stubs) stub.restore();
  }

  // --- what tests look at --------------------------------------------------------------------------

  commands(name?: string): SentCommand[] {
    return this.sent.filter((c) => name === undefined || c.name === name);
  }

  mutations(): SentCommand[] {
    return this.sent.filter((c) => AwsWorld.MUTATING.includes(c.name));
  }

  isWriterNow(role: RegionRole): boolean {
    return this.isWriter(role);
  }

  /** Where the edge sends API requests: the KeyValueStore key's host if present, else the configured origin. */
  edgeOrigin(): string {
    return this.kvs.get(EDGE_ORIGIN_KEY) ?? this.apiOrigin().DomainName!;
  }

  apiOrigin() {
    return this.distribution.Origins!.Items!.find((o) => o.Id === 'ToDoMgmtApiOrigin')!;
  }

  // --- serving --------------------------------------------------------------------------------------

  private serve(service: Service, region: string, stub: ClientStub): ClientStub {
    stub.onAnyCommand().callsFake(() => Promise.reject(new Error(`the test world does not simulate this ${service} command`)));
    const gate: Gate = (name, input, answer) => {
      this.sent.push({ service, region, name, input: input as Record<string, unknown> });
      // CloudFront's control plane goes down only by cloudfrontDown; the KeyValueStore's global data plane never.
      if (service === 'cloudfront' ? this.cloudfrontDown : service !== 'cloudfront-keyvaluestore' && this.down.has(region)) {
        throw networkDown(service, region);
      }
      const throttled = this.throttle.get(name) ?? 0;
      if (throttled > 0) {
        this.throttle.set(name, throttled - 1);
        throw fault('ThrottlingException', 'Rate exceeded', { $metadata: { httpStatusCode: 400 } });
      }
      if (this.denied.has(`${service}:${name}`)) {
        const message = `User: arn:aws:sts::${ACCOUNT}:assumed-role/build/x is not authorized to perform: ${service}:${name}`;
        throw fault('AccessDenied', message, { $metadata: { httpStatusCode: 403 } });
      }
      if (this.crashOn.delete(name)) throw new Error(`simulated crash before ${name}`);
      const countdown = this.crashAt.get(name);
      if (countdown !== undefined) {
        if (countdown <= 1) {
          this.crashAt.delete(name);
          throw new Error(`simulated crash before ${name}`);
        }
        this.crashAt.set(name, countdown - 1);
      }
      const failing = this.serverErrors.get(name) ?? 0;
      if (failing > 0) {
        this.serverErrors.set(name, failing - 1);
        throw fault('ServiceUnavailable', 'Service Unavailable', { $fault: 'server', $metadata: { httpStatusCode: 503 } });
      }
      this.settle();
      return answer();
    };
    for (const route of this.routes(service, region)) route.install(stub, gate);
    return stub;
  }

  private routes(service: Service, region: string): Route[] {
    if (service === 'cloudfront') return cloudfrontRoutes(this);
    if (service === 'cloudfront-keyvaluestore') return kvsRoutes(this);
    if (service === 'cognito-idp') return cognitoRoutes(this);
    if (service === 'ssm') return ssmRoutes(this, region);
    const here = roleIn(region);
    if (here === undefined) return [];
    return service === 'rds' ? [...rdsRoutes(this, here), ...snapshotRoutes(this, region)] : cloudwatchRoutes(this, here);
  }
}
