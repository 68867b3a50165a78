import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { managedPolicyFinding } from './acknowledge';

/**
 * How long the table step keeps retrying a database that is not reachable yet (a new proxy's target
 * registers for minutes) before it gives up with its final error: the Lambda helper's default. Every
 * timeout around it is derived from it, each above the one it waits for, all below the 15 minutes the
 * trigger's provider function may run.
 */
export const TABLE_STEP_RETRY_BUDGET = Duration.minutes(10);
/** The last attempt can start just before the budget ends: one more connect and statement fit in a minute. */
export const TABLE_FUNCTION_TIMEOUT = TABLE_STEP_RETRY_BUDGET.plus(Duration.minutes(1));
/** The invoker waits for the function's answer, then fails with it. */
export const TABLE_INVOKER_TIMEOUT = TABLE_FUNCTION_TIMEOUT.plus(Duration.minutes(1));
/** The trigger's provider waits for the invoker (the socket timeout of its Invoke call). */
export const TABLE_TRIGGER_TIMEOUT = TABLE_INVOKER_TIMEOUT.plus(Duration.minutes(1));

export interface CreateTableTriggerProps {
  /**
   * The version of CreateTableFunction to run (idempotent, invoked with `{"action":"CREATE_TABLE"}`, the
   * article's payload). A version: every new version of the function is a change of the invoker, so the
   * step runs again whenever the function changes, not only on the first deploy.
   */
  readonly createTableFunction: lambda.IVersion;
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

/**
 * Runs the table step (the ToDos table and the application user) right after each deployment of an app
 * stack that changed CreateTableFunction. It waits for the function's bounded retry and fails the
 * deployment with the function's final error; in a region that is not the writer the function succeeds
 * without writing.
 */
export class CreateTableTrigger extends Construct {
  constructor(scope: Construct, id: string, props: CreateTableTriggerProps) {
    super(scope, id);

    const invoker = new lambda.Function(this, 'Invoker', {
      description: 'Invokes CreateTableFunction with {"action":"CREATE_TABLE"} after deployment',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(INVOKER_CODE),
      timeout: TABLE_INVOKER_TIMEOUT,
      environment: { CREATE_TABLE_FUNCTION: props.createTableFunction.functionArn },
      logGroup: new logs.LogGroup(this, 'InvokerLogs', {
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    // This version only (grantInvoke would add `:*`, every version and alias).
    invoker.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.createTableFunction.functionArn] }),
    );

    new triggers.Trigger(this, 'Trigger', {
      handler: invoker,
      timeout: TABLE_TRIGGER_TIMEOUT,
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
