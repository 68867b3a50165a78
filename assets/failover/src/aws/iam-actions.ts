// Exactly the IAM actions the AWS failover driver calls, grouped by the resources they act on, so the
// failover pipeline stack grants its CodeBuild role these and nothing more. A test records the SDK
// commands the driver really sends in every scenario and asserts the set equals this list.

/**
 * Resource kinds the CDK stack turns into ARNs:
 * - global-cluster: arn:aws:rds::<account>:global-cluster:<GLOBAL_CLUSTER_ID>
 * - cluster: both regions' Aurora clusters (arn:aws:rds:<region>:<account>:cluster:<clusterId(role)>)
 * - proxy / proxy-target-group: both regions' RDS Proxies (db-proxy:prx-*) and their target groups
 *   (target-group:prx-tg-*); their ids are generated, so scope by region and account
 * - distribution: the API's CloudFront distribution
 * - kvs: the edge's CloudFront KeyValueStore (arn:aws:cloudfront::<account>:key-value-store/<id>)
 * - user-pool: the user pool in both regions (the primary's, and its replica's ARN in the secondary: same id)
 * - ssm-parameters: arn:aws:ssm:<region>:<account>:parameter/todomgmt and parameter/todomgmt/* in both regions
 * - run-record: the run record FAILOVER_RUN_PARAMETER in both regions (the only parameter the program writes)
 * - cluster-snapshot: both regions' cluster snapshots of our clusters: Aurora's automated
 *   `rds:unplanned-global-failover-<cluster>-*` and the manual `<cluster>-lost-writes-*` copies
 * - '*': actions without resource-level permissions
 */
export type FailoverResourceKind =
  | 'global-cluster'
  | 'cluster'
  | 'cluster-snapshot'
  | 'proxy'
  | 'proxy-target-group'
  | 'distribution'
  | 'kvs'
  | 'user-pool'
  | 'ssm-parameters'
  | 'run-record'
  | '*';

export interface FailoverIamGrant {
  readonly actions: readonly string[];
  /** IAM evaluates every resource the action touches, e.g. a switchover needs the global cluster and the target cluster. */
  readonly resources: readonly FailoverResourceKind[];
  readonly why: string;
}

export const FAILOVER_IAM_ACTIONS: readonly FailoverIamGrant[] = [
  {
    actions: ['ssm:GetParametersByPath'],
    resources: ['ssm-parameters'],
    why: 'discover ids the stacks published under /todomgmt in each region, and the run record',
  },
  {
    actions: ['ssm:PutParameter'],
    resources: ['run-record'],
    why: "record the run's intent and last step in each region it may call, so a rerun finishes it",
  },
  {
    actions: ['rds:DescribeGlobalClusters'],
    resources: ['global-cluster'],
    why: 'which member is the writer, and whether an operation is already under way',
  },
  {
    actions: ['rds:DescribeDBClusters'],
    resources: ['cluster'],
    why: 'engine version, instance count, status of each regional cluster',
  },
  {
    actions: ['rds:SwitchoverGlobalCluster', 'rds:FailoverGlobalCluster', 'rds:RemoveFromGlobalCluster'],
    resources: ['global-cluster', 'cluster'],
    why: 'promote the target: planned switchover, unplanned failover (AllowDataLoss), or detach',
  },
  {
    actions: ['rds:DescribeDBProxyTargets'],
    resources: ['proxy', 'proxy-target-group'],
    why: "check the target region's proxy routes to its cluster and is AVAILABLE",
  },
  {
    actions: ['rds:RegisterDBProxyTargets'],
    resources: ['proxy', 'proxy-target-group', 'cluster'],
    why: 'register the target cluster with its proxy when it is missing',
  },
  {
    actions: ['cloudfront:GetDistribution', 'cloudfront:GetDistributionConfig', 'cloudfront:UpdateDistribution'],
    resources: ['distribution'],
    why: "point the API's origin at the target region and wait until Deployed",
  },
  {
    actions: ['cloudfront-keyvaluestore:DescribeKeyValueStore', 'cloudfront-keyvaluestore:GetKey'],
    resources: ['kvs'],
    why: "read the edge key that decides where the edge sends requests, and the store's ETag for a conditional write",
  },
  {
    actions: ['cloudfront-keyvaluestore:PutKey', 'cloudfront-keyvaluestore:DeleteKey'],
    resources: ['kvs'],
    why: 'kvs: write the target API host into the edge key; origin-swap: delete a key that would override the new origin',
  },
  {
    actions: ['cognito-idp:ListUserPoolReplicas', 'cognito-idp:UpdateUserPoolReplica'],
    resources: ['user-pool'],
    why: "COGNITO_REPLICA: check the secondary's user pool replica and activate it, in the secondary's region",
  },
  {
    actions: ['rds:DescribeDBClusterSnapshots'],
    resources: ['cluster', 'cluster-snapshot'],
    why: "find Aurora's rds:unplanned-global-failover-… snapshot of an old primary after a data-loss failover",
  },
  {
    actions: ['rds:CopyDBClusterSnapshot'],
    resources: ['cluster-snapshot'],
    why: "copy it to a manual snapshot, which outlives the old cluster's backup retention",
  },
  {
    actions: ['cloudwatch:GetMetricData'],
    resources: ['*'],
    why: 'AuroraGlobalDBRPOLag / AuroraGlobalDBReplicationLag of the target before a move (no resource-level permissions)',
  },
];

/** Every action once, sorted: what the build role gets and what the equality test compares. */
export const failoverIamActionList = (): string[] => [...new Set(FAILOVER_IAM_ACTIONS.flatMap((grant) => grant.actions))].sort();
