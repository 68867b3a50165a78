import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeSdkCallProvider, sdkCallLogGroup } from './sdk-call-provider';

export interface CrossRegionParameterProps {
  /** Full parameter name, e.g. `/todomgmt/pri/user-pool-arn`. */
  readonly parameterName: string;
  /** Region that holds the parameter. */
  readonly region: string;
}

/**
 * Reads an SSM parameter from another region at deploy time (CloudFormation's `{{resolve:ssm:...}}` and
 * CDK cross-stack references stop at the region boundary). The reader may read exactly this parameter.
 * The value is read when the resource is created or its properties change: the ids it carries (user
 * pool, distribution) are stable for the life of the system.
 */
export class CrossRegionParameter extends Construct {
  readonly value: string;

  constructor(scope: Construct, id: string, props: CrossRegionParameterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const parameterArn = stack.formatArn({
      service: 'ssm',
      region: props.region,
      resource: 'parameter',
      resourceName: props.parameterName.replace(/^\//, ''),
    });
    const call: cr.AwsSdkCall = {
      service: 'SSM',
      action: 'getParameter',
      parameters: { Name: props.parameterName },
      region: props.region,
      physicalResourceId: cr.PhysicalResourceId.of(`${props.region}:${props.parameterName}`),
      outputPaths: ['Parameter.Value'],
    };
    const reader = new cr.AwsCustomResource(this, 'Reader', {
      onCreate: call,
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameterArn] }),
      ]),
      installLatestAwsSdk: false,
      logGroup: sdkCallLogGroup(this),
    });
    this.value = reader.getResponseField('Parameter.Value');

    acknowledgeSdkCallProvider(this);
  }
}
