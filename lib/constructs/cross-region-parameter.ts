import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { managedPolicyFinding } from './acknowledge';

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
      logGroup: CrossRegionParameter.providerLogs(this),
    });
    this.value = reader.getResponseField('Parameter.Value');

    // The provider function is a singleton per stack, created with the first reader.
    const provider = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    if (provider) {
      Validations.of(provider).acknowledge({
        id: managedPolicyFinding('AWSLambdaBasicExecutionRole'),
        reason: 'AWS-managed minimal policy for the custom-resource provider to write its logs.',
      });
    }
  }

  /** One log group per stack for the shared AwsCustomResource provider function. */
  private static providerLogs(scope: Construct): logs.ILogGroup {
    const stack = Stack.of(scope);
    const id = 'CrossRegionParameterLogs';
    return (
      (stack.node.tryFindChild(id) as logs.LogGroup | undefined) ??
      new logs.LogGroup(stack, id, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY })
    );
  }
}
