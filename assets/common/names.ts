// Every physical name that another region, a script or the failover program has to find lives here,
// with the other facts both the CDK app and the runtime programs need (region roles, SSM keys, failover
// modes). Dependency-free on purpose: the functions, the failover program and the rehearsal import it as
// `#names` without pulling in the CDK. Users know these names from the original article; changing one
// replaces or orphans a resource.
import type { ToDoFunctionName } from '#routes';

export const APP_NAME = 'ToDoMgmt';

/** The role a region was deployed with. Roles never move: after a failover `secd` is the writer. */
export type RegionRole = 'pri' | 'secd';
export const REGION_ROLES: readonly RegionRole[] = ['pri', 'secd'];
/** The region that is not `role`: where the writer's replica is, or where a replica's writer is. */
export const otherRole = (role: RegionRole): RegionRole => (role === 'pri' ? 'secd' : 'pri');

/** How a failover moves the writer; what each mode means lives in assets/failover/src (its mode table). */
export type FailoverMode = 'switchover' | 'failover' | 'detach';
export const FAILOVER_MODES: readonly FailoverMode[] = ['switchover', 'failover', 'detach'];

/**
 * How the failover's traffic step moves the edge: `kvs` writes one key of the edge's KeyValueStore (a data-plane
 * call, seconds, no distribution deployment); `origin-swap` is the original article's UpdateDistribution of the
 * API origin (CloudFront's control plane, in us-east-1, then minutes of deployment), kept as the fallback.
 */
export type TrafficMethod = 'kvs' | 'origin-swap';
export const TRAFFIC_METHODS: readonly TrafficMethod[] = ['kvs', 'origin-swap'];
export const DEFAULT_TRAFFIC_METHOD: TrafficMethod = 'kvs';
/**
 * Where CloudFront's control plane (UpdateDistribution, GetDistributionConfig) is served from, whatever the
 * deployment's regions: an outage of this region takes the origin swap away ("AWS Fault Isolation Boundaries",
 * global services). https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/global-services.html
 */
export const CLOUDFRONT_CONTROL_PLANE_REGION = 'us-east-1';

export const STACK_NAMES = {
  pipeline: APP_NAME,
  /** The failover pipeline in the primary region (the article's name). */
  failover: `${APP_NAME}-failover`,
  /** Its twin in the secondary region, which must work while the primary region is down. */
  failoverSecd: `${APP_NAME}-failover-secd`,
  infra: (role: RegionRole) => `${APP_NAME}-infra-${role}`,
  app: (role: RegionRole) => `${APP_NAME}-app-${role}`,
} as const;

export const STAGE_IDS: Readonly<Record<RegionRole, string>> = { pri: 'PriDeploy', secd: 'SecdDeploy' };

export const REPOSITORY_NAME = `${APP_NAME}Repo`;
export const PIPELINE_NAME = `${APP_NAME}Pipeline`;
export const FAILOVER_PIPELINE_NAME = (role: RegionRole) => `${APP_NAME}-failover-${role}`;

/** `ToDoMgmt-app-pri-GetToDos`: the name the article's `aws lambda invoke` commands use. */
export const functionName = (role: RegionRole, fn: ToDoFunctionName) => `${STACK_NAMES.app(role)}-${fn}`;

export const API_NAME = `${APP_NAME}API`;
export const GLOBAL_CLUSTER_ID = 'todomgmt-global-db-cluster';
export const clusterId = (role: RegionRole) => `todomgmt-infra-${role}-db-cluster`;
export const proxyName = (role: RegionRole) => `todomgmt-infra-${role}-rds-proxy`;
/** The proxy's READ_ONLY endpoint: where a region that is not the writer reads. */
export const proxyReadEndpointName = (role: RegionRole) => `${proxyName(role)}-read`;
export const dbSecretName = `${APP_NAME}/db-credentials`;
/** The functions' own database user (DML on the ToDo table only) and its secret, replicated like the master's. */
export const DB_APP_USER = 'todo_app';
export const dbAppSecretName = `${APP_NAME}/db-app-credentials`;
export const DB_PORT = 3306;

/**
 * SSM Parameter Store layout. Each region publishes, in its own region, what the failover program and
 * the other region need, under `/todomgmt/<role>/<key>`. Facts that belong to the whole system (the
 * global cluster, the CloudFront distribution) are published in both regions, so that either region
 * alone is enough to fail over.
 */
export const SSM_PREFIX = '/todomgmt';
export type SsmKey =
  | 'region'
  | 'cluster-id'
  | 'cluster-arn'
  | 'proxy-name'
  | 'proxy-endpoint'
  /** The proxy's READ_ONLY endpoint: where a region that is not the writer serves reads. */
  | 'proxy-read-endpoint'
  | 'api-domain'
  | 'api-url'
  | 'global-cluster-id'
  | 'user-pool-id'
  | 'user-pool-arn'
  | 'distribution-id'
  /** The distribution's host name (`dxxxx.cloudfront.net`, or the custom domain): what the failover probes. */
  | 'edge-domain'
  /** The CloudFront KeyValueStore the viewer-request function reads the active origin from. */
  | 'kvs-arn'
  /** COGNITO_REPLICA=true: the user pool's multi-Region KMS key (primary), which the secondary replicates. */
  | 'user-pool-key-arn'
  /** COGNITO_REPLICA=true: the user pool's replica in the secondary region, which the failover activates. */
  | 'user-pool-replica-arn';
export const ssmParameterName = (role: RegionRole, key: SsmKey) => `${SSM_PREFIX}/${role}/${key}`;

/**
 * The KeyValueStore key that names the API host CloudFront sends requests to (the active region's
 * `<id>.execute-api.<region>.amazonaws.com`); the failover program's traffic step writes it.
 */
export const EDGE_ORIGIN_KEY = 'active-api-domain';

/**
 * Where the failover program records a run's intent (mode, target, start, last step done), written
 * best-effort in both regions so that either region's failover pipeline can resume or finish it.
 * Not part of any stack: delete.sh removes it.
 */
export const FAILOVER_RUN_PARAMETER = `${SSM_PREFIX}/failover/run`;

/**
 * WAF=true: CloudFront sends this header, with the secret's value, on every request to a regional API, whose
 * web ACL admits only requests that carry it. The secret lives in the primary region, replicated to the secondary.
 */
export const ORIGIN_VERIFY_HEADER = 'x-todomgmt-origin-verify';
export const originVerifySecretName = `${APP_NAME}/origin-verify`;

/** Branch the CDK pipeline and the primary failover pipeline build from (local_codecommit_setup.sh pushes it). */
export const REPOSITORY_BRANCH = 'main';
/** Aurora master user: only the table step logs in with it (through the proxy, IAM auth); the functions use DB_APP_USER. */
export const DB_USER = 'todoadmin';
/** API Gateway stage: the API URL is `https://<id>.execute-api.<region>.amazonaws.com/prod/v1`. */
export const API_STAGE_NAME = 'prod';
/** Cognito user pool name (the article's "ToDoMgmt" user pool). */
export const USER_POOL_NAME = APP_NAME;
export const kmsAlias = (role: RegionRole) => `alias/todomgmt-${role}-db`;

/** Each region's CloudWatch dashboard (alarms, request rate, errors, proxy, replication lag). */
export const dashboardName = (role: RegionRole) => `${APP_NAME}-${role}`;
/** `ToDoMgmt-pri-api-5xx-rate`: the region's alarms, named so a runbook or a game day can find them. */
export const alarmName = (role: RegionRole, alarm: string) => `${APP_NAME}-${role}-${alarm}`;
