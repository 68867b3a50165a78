import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { FAILOVER_IAM_ACTIONS, type FailoverResourceKind } from '#failover/aws/iam-actions';
import { clusterId, FAILOVER_RUN_PARAMETER, GLOBAL_CLUSTER_ID, REGION_ROLES, type RegionRole, SSM_PREFIX } from '#names';
import { keptSnapshotPrefix, UNPLANNED_SNAPSHOT_PREFIX } from '../../assets/failover/src/aws/snapshot-names';

export interface FailoverBuildPolicyProps {
  readonly regions: Readonly<Record<RegionRole, string>>;
  /** The CloudFront distribution the failover repoints (its id is read from SSM at deploy time). */
  readonly distributionId: string;
  /** The edge's KeyValueStore ARN (read from SSM at deploy time). */
  readonly kvsArn: string;
  /** The user pool's id, shared by its replica in the secondary (read from SSM at deploy time). */
  readonly userPoolId: string;
}

/**
 * Exactly the actions the failover program's AWS driver calls (assets/failover/src/aws/iam-actions.ts),
 * each on the resources it acts on in both regions (reading the published ids under `/todomgmt` included).
 */
export function failoverBuildStatements(stack: Stack, props: FailoverBuildPolicyProps): iam.PolicyStatement[] {
  const regions = REGION_ROLES.map((role) => props.regions[role]);
  const rdsArn = (region: string, resource: string) => `arn:${stack.partition}:rds:${region}:${stack.account}:${resource}`;

  const resourcesOf = (kind: FailoverResourceKind): string[] => {
    switch (kind) {
      case 'global-cluster':
        return [`arn:${stack.partition}:rds::${stack.account}:global-cluster:${GLOBAL_CLUSTER_ID}`];
      case 'cluster':
        return REGION_ROLES.map((role) => rdsArn(props.regions[role], `cluster:${clusterId(role)}`));
      case 'cluster-snapshot':
        // An old primary's snapshots live in its own region: Aurora's automated one and the program's manual copy.
        return REGION_ROLES.flatMap((role) => [
          rdsArn(props.regions[role], `cluster-snapshot:${UNPLANNED_SNAPSHOT_PREFIX}${clusterId(role)}-*`),
          rdsArn(props.regions[role], `cluster-snapshot:${keptSnapshotPrefix(clusterId(role))}*`),
        ]);
      case 'proxy':
        // Proxy ARNs carry a generated id (prx-...): scope to RDS proxies of this account in the two regions.
        return regions.map((region) => rdsArn(region, 'db-proxy:prx-*'));
      case 'proxy-target-group':
        return regions.map((region) => rdsArn(region, 'target-group:prx-tg-*'));
      case 'distribution':
        return [`arn:${stack.partition}:cloudfront::${stack.account}:distribution/${props.distributionId}`];
      case 'kvs':
        return [props.kvsArn];
      case 'user-pool':
        // A replica's ARN names its own region with the primary's pool id.
        return regions.map((region) => `arn:${stack.partition}:cognito-idp:${region}:${stack.account}:userpool/${props.userPoolId}`);
      case 'ssm-parameters':
        return ssmParameterArns(stack, regions);
      case 'run-record':
        return regions.map((region) => `arn:${stack.partition}:ssm:${region}:${stack.account}:parameter${FAILOVER_RUN_PARAMETER}`);
      case '*':
        return ['*'];
    }
  };

  return FAILOVER_IAM_ACTIONS.map(
    (grant) =>
      new iam.PolicyStatement({
        sid: sidOf(grant.actions),
        actions: [...grant.actions],
        resources: [...new Set(grant.resources.flatMap(resourcesOf))],
      }),
  );
}

function ssmParameterArns(stack: Stack, regions: readonly string[]): string[] {
  const prefix = SSM_PREFIX.replace(/^\//, '');
  return regions.flatMap((region) => [
    `arn:${stack.partition}:ssm:${region}:${stack.account}:parameter/${prefix}`,
    `arn:${stack.partition}:ssm:${region}:${stack.account}:parameter/${prefix}/*`,
  ]);
}

/** `rds:SwitchoverGlobalCluster, ...` → `RdsSwitchoverGlobalCluster` (statement ids must be alphanumeric). */
function sidOf(actions: readonly string[]): string {
  const [service, name] = actions[0].split(':');
  return `${service.charAt(0).toUpperCase()}${service.slice(1)}${name}`.replace(/[^A-Za-z0-9]/g, '');
}
