import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { type RegionRole, type SsmKey, ssmParameterName } from '#names';

export interface PublishedParametersProps {
  /** The role of the region the stack deploys to: parameters live under `/todomgmt/<pri|secd>/`. */
  readonly regionRole: RegionRole;
  readonly values: Partial<Record<SsmKey, string>>;
}

/**
 * Publishes ids to SSM Parameter Store in the stack's own region, where the failover program and the
 * other region's stacks look them up (assets/common/names.ts `SsmKey` is the catalogue).
 */
export class PublishedParameters extends Construct {
  readonly parameters: Partial<Record<SsmKey, ssm.StringParameter>> = {};

  constructor(scope: Construct, id: string, props: PublishedParametersProps) {
    super(scope, id);
    for (const [key, value] of Object.entries(props.values) as [SsmKey, string][]) {
      this.parameters[key] = new ssm.StringParameter(this, key, {
        parameterName: ssmParameterName(props.regionRole, key),
        stringValue: value,
        description: `ToDoMgmt ${props.regionRole}: ${key} (read by the failover program and the other region)`,
      });
    }
  }
}
