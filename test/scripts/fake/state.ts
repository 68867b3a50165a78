// The fake AWS account the stub commands act on: just enough CloudFormation, RDS and S3 behaviour
// that a wrong teardown order fails the way it fails on AWS (non-empty bucket, cluster still in a
// global cluster), and that a second run sees what the first one did. Its promises: ./README.md.

export interface FakeResource {
  readonly type: 'AWS::S3::Bucket' | 'AWS::RDS::DBCluster' | 'AWS::RDS::GlobalCluster' | 'AWS::Lambda::Function';
  readonly physicalId: string;
  /** DeletionPolicy Retain: the stack is deleted, the resource stays. */
  readonly retain?: boolean;
}

export interface FakeStack {
  status: string;
  outputs?: { OutputKey: string; OutputValue: string }[];
  resources?: FakeResource[];
  /** The next N delete-stack calls end in DELETE_FAILED. */
  deleteFailures?: number;
  /** Why the last delete-stack failed (describe-stack-events reports it). */
  reason?: string;
}

export interface FakeBucket {
  region: string;
  objects: number;
  /** The aws:cloudformation:stack-name tag. */
  stackTag?: string;
}

export interface FakeCluster {
  arn: string;
  deletionProtection: boolean;
}

export interface CdkStack {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly outputs?: { OutputKey: string; OutputValue: string }[];
  readonly resources?: FakeResource[];
}

export interface FakeState {
  /** null: no usable credentials. */
  account: string | null;
  /** CDKToolkit stacks live in `stacks` like any other; this is the version they report. */
  bootstrapVersion: number;
  stacks: Record<string, FakeStack>; // key: `${region}/${name}`
  globalCluster: { id: string; arn: string; members: { arn: string; writer: boolean }[] } | null;
  /** Removal is not instant: a removed member is still listed by the first removalLag - 1 describe-global-clusters calls. */
  removalLag: number;
  pendingRemovals: Record<string, number>;
  clusters: Record<string, FakeCluster>; // key: `${region}/${id}`
  buckets: Record<string, FakeBucket>;
  /** What `cdk list` reports and `cdk deploy` creates. */
  cdkApp: CdkStack[];
  ssm: Record<string, string>; // key: `${region}/${name}`
  /** CodeCommit repositories, `${region}/${name}`. An account CodeCommit is closed to has none (and can create none). */
  repositories: string[];
  /** CodeConnections connections by ARN, with their status. */
  connections: Record<string, 'AVAILABLE' | 'PENDING' | 'ERROR'>;
  /**
   * Endpoints that do not answer (an outage): a region (every service there) or `<service>:<region>`. Every
   * aws call to one fails as the CLI does when it cannot connect.
   */
  unreachable: string[];
}

export const ACCOUNT = '123456789012';
export const PRI = 'us-east-1';
export const SECD = 'us-east-2';
export const clusterArn = (region: string, id: string) => `arn:aws:rds:${region}:${ACCOUNT}:cluster:${id}`;
