import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { alarmName, type RegionRole } from '#names';

export interface AlarmTopicProps {
  readonly regionRole: RegionRole;
  /** Receives every alarm of the region (Amazon SNS sends a confirmation mail first). */
  readonly email: string;
}

/**
 * The region's alarm notifications: an SNS topic encrypted with its own customer key, reachable over TLS
 * only, published to by this region's alarms, with one e-mail subscription. CloudWatch alarms cannot publish to a topic encrypted with the
 * AWS-managed SNS key; the customer key lets the CloudWatch service principal use it ("Enable
 * compatibility between event sources from AWS services and encrypted topics", Amazon SNS Developer Guide).
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const key = new kms.Key(this, 'Key', {
      description: `ToDoMgmt ${props.regionRole}: alarm notifications (SNS)`,
      enableKeyRotation: true,
      // Protects notifications in flight only: nothing stored needs it after the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `ToDoMgmt ${props.regionRole} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // The TLS-only policy replaces SNS's default topic policy, so CloudWatch is allowed explicitly: this
    // account's alarms of this region only (aws:SourceAccount / aws:SourceArn guard the confused deputy).
    const stack = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisRegionsAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: alarmName(props.regionRole, '*'),
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }
}
