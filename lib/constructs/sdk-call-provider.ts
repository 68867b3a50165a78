import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { IConstruct } from 'constructs';
import { managedPolicyFinding } from './acknowledge';

// Every AwsCustomResource in a stack shares one provider function; these give it a log group with a
// retention and acknowledge its managed policy, whichever reader or lookup creates it first.

export function sdkCallLogGroup(scope: IConstruct): logs.ILogGroup {
  const stack = Stack.of(scope);
  const id = 'SdkCallProviderLogs';
  return (
    (stack.node.tryFindChild(id) as logs.LogGroup | undefined) ??
    new logs.LogGroup(stack, id, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY })
  );
}

export function acknowledgeSdkCallProvider(scope: IConstruct): void {
  const stack = Stack.of(scope);
  const provider = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  if (provider) {
    Validations.of(provider).acknowledge({
      id: managedPolicyFinding('AWSLambdaBasicExecutionRole'),
      reason: 'AWS-managed minimal policy for the custom-resource provider to write its logs.',
    });
  }
}
