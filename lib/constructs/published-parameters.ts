import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { type RegionRole, type SsmKey, ssmParameterName } from '#names';

export type PublishedValues = Partial<Record<SsmKey, string>>;

export interface PublishedParametersProps {
  /** The role of the region the stack deploys to: parameters live under `/todomgmt/<pri|secd>/`. */
  readonly regionRole: RegionRole;
  /** @default - none yet: parts of the stack add theirs with `publish()` as they are created */
  readonly values?: PublishedValues;
}

/**
 * Publishes ids to SSM Parameter Store in the stack's own region, where the failover program and the
 * other region's stacks look them up (assets/common/names.ts `SsmKey` is the catalogue).
 */
export class PublishedParameters extends Construct {
  readonly parameters: Partial<Record<SsmKey, ssm.StringParameter>> = {};
  private readonly regionRole: RegionRole;

  constructor(scope: Construct, id: string, props: PublishedParametersProps) {
    super(scope, id);
    this.regionRole = props.regionRole;
    this.publish(props.values ?? {});
  }

  publish(values: PublishedValues): void {
    for (const [key, value] of Object.entries(values) as [SsmKey, string][]) {
      this.parameters[key] = new ssm.StringParameter(this, key, {
        parameterName: ssmParameterName(this.regionRole, key),
        stringValue: value,
        description: `ToDoMgmt ${this.regionRole}: ${key} (read by the failover program and the other region)`,
      });
    }
  }
}
