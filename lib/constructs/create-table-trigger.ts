import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { managedPolicyFinding } from './acknowledge';

export interface CreateTableTriggerProps {
  /** CreateTableFunction: idempotent, invoked with `{"action":"CREATE_TABLE"}` (the article's payload). */
  readonly createTableFunction: lambda.IFunction;
  /** Constructs that must be in place first (the function, its grants). */
  readonly executeAfter: readonly Construct[];
}

// Sends the same payload a person sends by hand and fails the deployment when the function fails, so a
// broken database connection shows up as a failed stack, not as a 500 on the first request.
const INVOKER_CODE = `
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
const lambda = new LambdaClient({});
exports.handler = async () => {
  const response = await lambda.send(new InvokeCommand({
    FunctionName: process.env.CREATE_TABLE_FUNCTION,
    Payload: Buffer.from(JSON.stringify({ action: 'CREATE_TABLE' })),
  }));
  const payload = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  if (response.FunctionError) throw new Error('CreateTableFunction failed: ' + payload);
  // The function answers errors (503: database unreachable, ...) as an envelope, not as a FunctionError.
  let statusCode;
  try { statusCode = JSON.parse(payload).statusCode; } catch { statusCode = undefined; }
  if (statusCode !== 200) throw new Error('CreateTableFunction did not create the table: ' + payload);
  console.log('CreateTableFunction answered', payload);
  return payload;
};
`;

/** Creates the ToDos table right after each deployment of the primary app stack (a no-op once it exists). */
export class CreateTableTrigger extends Construct {
  constructor(scope: Construct, id: string, props: CreateTableTriggerProps) {
    super(scope, id);

    const invoker = new lambda.Function(this, 'Invoker', {
      description: 'Invokes CreateTableFunction with {"action":"CREATE_TABLE"} after deployment',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(INVOKER_CODE),
      timeout: Duration.minutes(2),
      environment: { CREATE_TABLE_FUNCTION: props.createTableFunction.functionName },
      logGroup: new logs.LogGroup(this, 'InvokerLogs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    // This function's ARN only (grantInvoke would add `:*`, every version and alias).
    invoker.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.createTableFunction.functionArn] }),
    );

    new triggers.Trigger(this, 'Trigger', {
      handler: invoker,
      // A serverless v2 writer resuming from its minimum takes seconds; the function has its own timeout.
      timeout: Duration.minutes(2),
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      executeAfter: [...props.executeAfter],
      executeOnHandlerChange: true,
    });

    Validations.of(invoker).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22, the same runtime as the API functions.',
    });
    Validations.of(invoker).acknowledge({
      id: managedPolicyFinding('AWSLambdaBasicExecutionRole'),
      reason: 'AWS-managed minimal policy for writing the function logs.',
    });
  }
}
