import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag reports each wildcard of a policy as its own finding (`AwsSolutions-IAM5[Action::s3:List*]`,
 * `AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]`), and an acknowledgement matches one finding id exactly.
 * This names the wildcards being accepted, one by one, so a new wildcard still fails the check.
 */
export interface Wildcards {
  /** @default - no action wildcard accepted */
  readonly actions?: readonly string[];
  /**
   * Resource patterns as cdk-nag prints them; `<Logical.Arn>` via `arnOf()`.
   * @default - no resource wildcard accepted
   */
  readonly resources?: readonly string[];
}

export function acknowledgeWildcards(scope: IConstruct, wildcards: Wildcards, reason: string): void {
  const ids = [
    ...(wildcards.actions ?? []).map((action) => `AwsSolutions-IAM5[Action::${action}]`),
    ...(wildcards.resources ?? []).map((resource) => `AwsSolutions-IAM5[Resource::${resource}]`),
  ];
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}

/** `<LogicalId.Arn>`: how cdk-nag prints `Fn::GetAtt [LogicalId, Arn]` in a finding. */
export function arnOf(resource: IConstruct): string {
  const cfn = (resource.node.defaultChild ?? resource) as CfnElement;
  return `<${Stack.of(cfn).getLogicalId(cfn)}.Arn>`;
}

/** `<LogicalId>`: how cdk-nag prints `Ref LogicalId` in a finding. */
export function refOf(resource: IConstruct): string {
  const cfn = (resource.node.defaultChild ?? resource) as CfnElement;
  return `<${Stack.of(cfn).getLogicalId(cfn)}>`;
}

/** The managed-policy finding id for an AWS-managed service-role policy. */
export function managedPolicyFinding(policyName: string, path = 'service-role/'): string {
  return `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${path}${policyName}]`;
}

/** CodeBuild's own log-group and report-group grants for a project (named after its logical id). */
export function codeBuildWildcards(project: IConstruct): string[] {
  const stack = Stack.of(project);
  const ref = refOf(project);
  return [
    `arn:<AWS::Partition>:logs:${stack.region}:${stack.account}:log-group:/aws/codebuild/${ref}:*`,
    `arn:<AWS::Partition>:codebuild:${stack.region}:${stack.account}:report-group/${ref}-*`,
  ];
}

/** What `bucket.grantReadWrite()` / artifact access generates. */
export const S3_OBJECT_ACTIONS = ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'];
export const KMS_DATA_KEY_ACTIONS = ['kms:GenerateDataKey*', 'kms:ReEncrypt*'];
