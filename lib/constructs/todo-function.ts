import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { LAMBDA_BUILD_OPTIONS, LAMBDA_ESBUILD_ARGS } from '#lambda/bundling';
import { TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';
import { APP_NAME, DB_PORT, functionName, type RegionRole } from '#names';
import { managedPolicyFinding } from './acknowledge';

export const LAMBDA_SOURCE_DIR = path.join(__dirname, '..', '..', 'assets', 'lambda', 'src');
const PROJECT_ROOT = path.join(__dirname, '..', '..');

export interface ToDoFunctionProps {
  readonly regionRole: RegionRole;
  readonly name: ToDoFunctionName;
  /** The regional proxy: its default (read/write) endpoint is `DB_HOST`. */
  readonly proxy: rds.IDatabaseProxy;
  /** The proxy's READ_ONLY endpoint: `DB_READ_HOST`, where reads go while this region is not the writer. */
  readonly readEndpoint: rds.IDatabaseProxyEndpoint;
  /** The database user the function logs in to the proxy as (IAM auth): it may connect as this user only. */
  readonly dbUser: string;
  readonly databaseName: string;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  /** @default Duration.seconds(15) */
  readonly timeout?: Duration;
  /**
   * Concurrent executions reserved for (and capping) this function.
   * @default - none reserved: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Variables this function needs besides the database settings every function gets.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * One handler from the route table as a Lambda function with the house defaults: Node 22 on arm64,
 * everything bundled and minified (with the same esbuild options the bundle test and the benchmark use),
 * inside the VPC, talking to the database only through the regional RDS Proxy's two endpoints with an IAM
 * token for one database user: no password ever reaches a ToDo function.
 */
export class ToDoFunction extends Construct {
  readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: ToDoFunctionProps) {
    super(scope, id);
    const spec = TODO_FUNCTIONS[props.name];
    const name = functionName(props.regionRole, props.name);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${name}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      functionName: name,
      description: spec.description,
      entry: path.join(LAMBDA_SOURCE_DIR, spec.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout ?? Duration.seconds(15),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      // A version is published only where one is asked for (the table step runs a version); the old one goes.
      currentVersionOptions: { removalPolicy: RemovalPolicy.DESTROY },
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [props.securityGroup],
      environment: {
        DB_HOST: props.proxy.endpoint,
        DB_READ_HOST: props.readEndpoint.endpoint,
        DB_PORT: String(DB_PORT),
        DB_NAME: props.databaseName,
        DB_USER: props.dbUser,
        DB_AUTH: 'iam',
        DB_CONNECT_TIMEOUT_MS: '5000',
        // Powertools' own names (LOG_LEVEL is its legacy one).
        POWERTOOLS_SERVICE_NAME: APP_NAME.toLowerCase(),
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node22',
        // The bundle test's and the benchmark's options: mysql2 bundled, the runtime's SDK v3 external.
        externalModules: [...LAMBDA_BUILD_OPTIONS.external],
        esbuildArgs: { ...LAMBDA_ESBUILD_ARGS },
      },
    });
    // rds-db:connect on `<proxy resource id>/<user>`: this user at this proxy, both of its endpoints.
    props.proxy.grantConnect(this.function, props.dbUser);

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 is a deliberate choice: an LTS runtime supported well past this sample, same as the local rehearsal and CI.',
    });
    Validations.of(this.function).acknowledge({
      id: managedPolicyFinding('AWSLambdaBasicExecutionRole'),
      reason: 'AWS-managed minimal policy for writing the function logs.',
    });
    Validations.of(this.function).acknowledge({
      id: managedPolicyFinding('AWSLambdaVPCAccessExecutionRole'),
      reason: 'AWS-managed minimal policy a function needs to attach its network interfaces in the VPC.',
    });
  }
}
