import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeSdkCallProvider, sdkCallLogGroup } from './sdk-call-provider';

export interface ReplicaSecretProps {
  /** Name of the secret Secrets Manager replicates into this stack's region. */
  readonly secretName: string;
}

/**
 * The local replica of a secret created in another region, by its complete ARN. RDS Proxy needs the
 * complete ARN (with the random suffix Secrets Manager appends), which only the secret's own region
 * knows; it is looked up here, in this region, so nothing depends on the primary region at run time.
 */
export class ReplicaSecret extends Construct {
  readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: ReplicaSecretProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const call: cr.AwsSdkCall = {
      service: 'SecretsManager',
      action: 'describeSecret',
      parameters: { SecretId: props.secretName },
      physicalResourceId: cr.PhysicalResourceId.of(`replica:${props.secretName}`),
      outputPaths: ['ARN'],
    };
    const lookup = new cr.AwsCustomResource(this, 'Lookup', {
      onCreate: call,
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['secretsmanager:DescribeSecret'],
          // `-??????`: the suffix Secrets Manager appends to every secret name.
          resources: [
            stack.formatArn({
              service: 'secretsmanager',
              resource: 'secret',
              resourceName: `${props.secretName}-??????`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      ]),
      installLatestAwsSdk: false,
      logGroup: sdkCallLogGroup(this),
    });
    this.secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', lookup.getResponseField('ARN'));
    acknowledgeSdkCallProvider(this);
  }
}
