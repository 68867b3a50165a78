import { Match, type Template } from 'aws-cdk-lib/assertions';
import { API_ROUTES, OAUTH_RESOURCE_SERVER, OAUTH_SCOPE, OAUTH_SCOPE_NAME, TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';
import { API_STAGE_NAME, DB_APP_USER, DB_USER, functionName, type RegionRole, ssmParameterName } from '#names';
import { TABLE_STEP_RETRY_BUDGET } from '../../lib/constructs/create-table-trigger';
import { removeOutdir, type SynthesizedApp, synthApp } from './synth-app';

// Managed CloudFront policies (fixed ids documented by AWS).
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

let synthesized: SynthesizedApp;
const templates = {} as Record<RegionRole, Template>;
const REGIONS: Readonly<Record<RegionRole, string>> = { pri: 'us-east-1', secd: 'us-east-2' };
const PROXY_ARN_EXPORT = 'ExportsOutputFnGetAttProxyCB0DFB71DBProxyArn21545DA8';

interface Resource {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation properties, read as the template has them
  Properties: Record<string, any>;
}
interface Statement {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
}

function logicalIdOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
}

function functionResource(template: Template, regionRole: RegionRole, name: ToDoFunctionName): Resource {
  const found = Object.values(
    template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: functionName(regionRole, name) } }),
  );
  expect(found).toHaveLength(1);
  return found[0] as Resource;
}

/** The table step's invoker: the function the trigger runs, which invokes CreateTableFunction. */
function invokerResource(template: Template): Resource {
  const found = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { CREATE_TABLE_FUNCTION: Match.anyValue() } } },
    }),
  );
  expect(found).toHaveLength(1);
  return found[0] as Resource;
}

/** Every statement of the policies attached to the function's role. */
function statementsOf(template: Template, fn: Resource): Statement[] {
  const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

beforeAll(() => {
  synthesized = synthApp({ bundle: false });
  templates.pri = synthesized.template(synthesized.stacks.pipeline.stages.pri.app);
  templates.secd = synthesized.template(synthesized.stacks.pipeline.stages.secd.app);
});
afterAll(() => removeOutdir(synthesized));

describe.each(['pri', 'secd'] as const)('ToDoMgmt-app-%s', (regionRole) => {
  const template = () => templates[regionRole];

  test('one function per route-table entry, named as in the article, Node 22 on arm64', () => {
    for (const name of Object.keys(TODO_FUNCTIONS) as (keyof typeof TODO_FUNCTIONS)[]) {
      template().hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: functionName(regionRole, name),
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
      });
    }
  });

  test('functions run in the VPC and reach the database only through the regional proxy with IAM auth, no password', () => {
    const functions = template().findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: Match.stringLikeRegexp(`^ToDoMgmt-app-${regionRole}-`) },
    });
    expect(Object.keys(functions)).toHaveLength(Object.keys(TODO_FUNCTIONS).length);
    for (const fn of Object.values(functions)) {
      const props = fn.Properties;
      expect(props.VpcConfig.SubnetIds.length).toBeGreaterThanOrEqual(2);
      expect(props.VpcConfig.SecurityGroupIds).toHaveLength(1);
      const env = props.Environment.Variables;
      expect(env).toMatchObject({ DB_PORT: '3306', DB_NAME: 'todos', DB_AUTH: 'iam' });
      // Both proxy endpoints come from the same region's infra stack.
      expect(JSON.stringify(env.DB_HOST)).toMatch(/Fn::ImportValue.*ToDoMgmt-infra-.*ProxyCB0DFB71Endpoint/);
      expect(JSON.stringify(env.DB_READ_HOST)).toMatch(/Fn::ImportValue.*ToDoMgmt-infra-.*ProxyReadEndpoint.*Endpoint/);
      expect(Object.keys(env).filter((key) => /PASSWORD/i.test(key))).toEqual([]);
      // Powertools' own variable names; LOG_LEVEL is its legacy one.
      expect(env).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'todomgmt', POWERTOOLS_LOG_LEVEL: 'INFO' });
      expect(env.LOG_LEVEL).toBeUndefined();
    }
    const policies = JSON.stringify(template().findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/"rds:\*"|"secretsmanager:\*"|"Action":"\*"/);
    expect(JSON.stringify(template().findResources('AWS::IAM::Role'))).not.toMatch(/FullAccess/);
  });

  test('the ToDo functions log in as the application user only; the table step as the master user', () => {
    for (const name of Object.keys(TODO_FUNCTIONS) as ToDoFunctionName[]) {
      const user = name === 'CreateTableFunction' ? DB_USER : DB_APP_USER;
      const fn = functionResource(template(), regionRole, name);
      expect(fn.Properties.Environment.Variables.DB_USER).toBe(user);
      // Exactly one rds-db:connect, on `dbuser:<proxy resource id>/<user>` of this region's proxy.
      const connects = statementsOf(template(), fn).filter((statement) => statement.Action === 'rds-db:connect');
      expect(connects).toEqual([
        {
          Action: 'rds-db:connect',
          Effect: 'Allow',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                `:rds-db:${REGIONS[regionRole]}:111111111111:dbuser:`,
                { 'Fn::Select': [6, { 'Fn::Split': [':', { 'Fn::ImportValue': `ToDoMgmt-infra-${regionRole}:${PROXY_ARN_EXPORT}` }] }] },
                `/${user}`,
              ],
            ],
          },
        },
      ]);
    }
  });

  test('only CreateTableFunction reads a secret: the application secret of its own region, and it gets no password variable', () => {
    const secretReads = (name: ToDoFunctionName) =>
      statementsOf(template(), functionResource(template(), regionRole, name)).filter((statement) =>
        JSON.stringify(statement.Action).includes('secretsmanager:'),
      );
    for (const name of ['GetToDos', 'UpsertToDos', 'RemoveToDos'] as const) expect(secretReads(name)).toEqual([]);
    const appSecretExport =
      regionRole === 'pri'
        ? 'ToDoMgmt-infra-pri:ExportsOutputRefDbAppSecretBE2ADA0056F9A2EB'
        : 'ToDoMgmt-infra-secd:ExportsOutputFnGetAttDbAppSecretReplicaLookup2BE8752BARN72C2DDFD';
    expect(secretReads('CreateTableFunction')).toEqual([
      {
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Effect: 'Allow',
        Resource: { 'Fn::ImportValue': appSecretExport },
      },
    ]);
    const env = functionResource(template(), regionRole, 'CreateTableFunction').Properties.Environment.Variables;
    expect(env).toMatchObject({ DB_APP_USER, DB_APP_SECRET_ARN: { 'Fn::ImportValue': appSecretExport } });
    expect(functionResource(template(), regionRole, 'GetToDos').Properties.Environment.Variables.DB_APP_SECRET_ARN).toBeUndefined();
  });

  test('CreateTableFunction sits in its own security group (the one that may reach Secrets Manager), the ToDo functions in theirs', () => {
    const groupOf = (name: ToDoFunctionName) =>
      JSON.stringify(functionResource(template(), regionRole, name).Properties.VpcConfig.SecurityGroupIds);
    expect(groupOf('CreateTableFunction')).toMatch(/TableFunctionSecurityGroup/);
    for (const name of ['GetToDos', 'UpsertToDos', 'RemoveToDos'] as const) {
      expect(groupOf(name)).toMatch(/ExportsOutputFnGetAttFunctionSecurityGroup/);
    }
  });

  test('no reserved concurrency by default (an account at the new-account quota could not deploy any)', () => {
    for (const name of Object.keys(TODO_FUNCTIONS) as ToDoFunctionName[]) {
      expect(functionResource(template(), regionRole, name).Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  test('the table step runs after each deploy that changes CreateTableFunction, on that exact version', () => {
    template().resourceCountIs('Custom::Trigger', 1);
    const invoker = invokerResource(template());
    expect(invoker.Properties.Code.ZipFile).toContain(`JSON.stringify({ action: 'CREATE_TABLE' })`);
    expect(invoker.Properties.Code.ZipFile).toContain('FunctionError');
    expect(invoker.Properties.Code.ZipFile).toContain('statusCode !== 200');
    // A version of CreateTableFunction: a new version is a new invoker configuration, so the trigger runs again.
    const versionId = logicalIdOf(template(), 'AWS::Lambda::Version', 'CreateTableFunctionCurrentVersion');
    expect(invoker.Properties.Environment.Variables.CREATE_TABLE_FUNCTION).toEqual({ Ref: versionId });
    expect(statementsOf(template(), invoker)).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { Ref: versionId } }]);
    template().hasResourceProperties('Custom::Trigger', { InvocationType: 'RequestResponse', ExecuteOnHandlerChange: true });
  });

  test('the table step waits out the function retry budget: each timeout above the one it waits for, all within 15 minutes', () => {
    const seconds = {
      retryBudget: TABLE_STEP_RETRY_BUDGET.toSeconds(),
      fn: functionResource(template(), regionRole, 'CreateTableFunction').Properties.Timeout as number,
      invoker: invokerResource(template()).Properties.Timeout as number,
      trigger: Number(Object.values(template().findResources('Custom::Trigger'))[0].Properties.Timeout) / 1000,
      provider: Object.values(
        template().findResources('AWS::Lambda::Function', { Properties: { Handler: '__entrypoint__.handler' } }),
      ).find((fn) => JSON.stringify(fn).includes('Trigger'))?.Properties.Timeout as number,
    };
    expect(seconds.retryBudget).toBe(600);
    expect(seconds.fn).toBeGreaterThan(seconds.retryBudget);
    expect(seconds.invoker).toBeGreaterThan(seconds.fn);
    expect(seconds.trigger).toBeGreaterThan(seconds.invoker);
    expect(seconds.provider).toBe(900);
    expect(seconds.trigger).toBeLessThan(seconds.provider);
  });

  test('every route is a Lambda proxy integration behind the Cognito authorizer with the api/upsert-delete scope', () => {
    const methods = template().findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: Match.not('OPTIONS') } });
    expect(
      Object.values(methods)
        .map((m) => m.Properties.HttpMethod)
        .sort(),
    ).toEqual(API_ROUTES.map((r) => r.method).sort());
    for (const method of Object.values(methods)) {
      expect(method.Properties).toMatchObject({
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizationScopes: [OAUTH_SCOPE],
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
      expect(method.Properties.RequestValidatorId).toBeDefined();
    }
    template().hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'v1' });
    template().hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS' });
  });

  test('stage with access logs, throttling and validation', () => {
    template().hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: API_STAGE_NAME,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, LoggingLevel: 'ERROR' })],
    });
    template().hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
    template().hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
  });

  test('publishes the API domain and URL, and (the secondary as a copy) the ids of the user pool and the edge', () => {
    for (const key of ['api-domain', 'api-url', 'user-pool-id', 'user-pool-arn', 'distribution-id', 'edge-domain', 'kvs-arn'] as const) {
      template().hasResourceProperties('AWS::SSM::Parameter', { Name: ssmParameterName(regionRole, key) });
    }
  });
});

describe('ToDoMgmt-app-pri', () => {
  const pri = () => templates.pri;

  test('Cognito: user pool, hosted domain, resource server api/upsert-delete, client-credentials client with a secret', () => {
    pri().hasResourceProperties('AWS::Cognito::UserPool', { UserPoolName: 'ToDoMgmt' });
    pri().hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', ['todomgmt-dev-api-', { Ref: 'AWS::AccountId' }]] },
    });
    pri().hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: OAUTH_RESOURCE_SERVER,
      Scopes: [Match.objectLike({ ScopeName: OAUTH_SCOPE_NAME })],
    });
    pri().hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: [{ 'Fn::Join': ['', [{ Ref: Match.anyValue() }, `/${OAUTH_SCOPE_NAME}`]] }],
    });
  });

  test('CloudFront: HTTPS only, TLS 1.2 to the origin, no caching, forwards Authorization and the query string', () => {
    pri().hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'https-only',
          CachePolicyId: CACHING_DISABLED,
          OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
          AllowedMethods: Match.arrayWith(['GET', 'POST', 'DELETE']),
        }),
        Origins: [
          Match.objectLike({
            Id: 'ToDoMgmtApi',
            OriginPath: `/${API_STAGE_NAME}`,
            DomainName: {
              'Fn::Join': ['', [{ Ref: Match.stringLikeRegexp('^ToDoApi') }, '.execute-api.us-east-1.', { Ref: 'AWS::URLSuffix' }]],
            },
            CustomOriginConfig: Match.objectLike({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] }),
          }),
        ],
      }),
    });
  });

  test('outputs CloudfrontUrl, CloudfrontDistributionId and the API endpoint', () => {
    const outputs = Object.keys(pri().findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining(['CloudfrontUrl', 'CloudfrontDistributionId', 'ApiEndpoint', 'TokenUrl', 'UserPoolClientId']),
    );
  });
});

describe('ToDoMgmt-app-secd', () => {
  const secd = () => templates.secd;

  test('has no user pool or distribution of its own: it trusts the primary pool, read from SSM in the primary region', () => {
    secd().resourceCountIs('AWS::Cognito::UserPool', 0);
    secd().resourceCountIs('AWS::CloudFront::Distribution', 0);
    const calls = Object.values(secd().findResources('Custom::AWS')).map((r) => JSON.parse(r.Properties.Create));
    expect(calls).toContainEqual(
      expect.objectContaining({
        action: 'getParameter',
        parameters: { Name: ssmParameterName('pri', 'user-pool-arn') },
        region: 'us-east-1',
      }),
    );
    secd().hasResourceProperties('AWS::ApiGateway::Authorizer', {
      ProviderARNs: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Primaryuserpoolarn'), 'Parameter.Value'] }],
    });
  });

  test('the cross-region reader may read exactly the parameters it reads', () => {
    const statements = Object.values(secd().findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const ssmReads = statements.filter((s: { Action: string }) => s.Action === 'ssm:GetParameter');
    expect(ssmReads.length).toBe(5);
    for (const statement of ssmReads) {
      expect(JSON.stringify(statement.Resource)).toMatch(
        /:ssm:us-east-1:111111111111:parameter\/todomgmt\/pri\/(user-pool-arn|user-pool-id|distribution-id|edge-domain|kvs-arn)"/,
      );
    }
  });
});

describe('custom domain for CloudFront (CLOUDFRONT_DOMAIN_NAME + CLOUDFRONT_CERTIFICATE_ARN)', () => {
  const certificateArn = 'arn:aws:acm:us-east-1:111111111111:certificate/0a1b2c3d-1111-2222-3333-444455556666';

  test('viewers must use TLS 1.2 or later on the custom name (and cdk-nag needs no acknowledgement for it)', () => {
    const custom = synthApp({
      bundle: false,
      env: { CLOUDFRONT_DOMAIN_NAME: 'api.example.com', CLOUDFRONT_CERTIFICATE_ARN: certificateArn },
    });
    try {
      custom.template(custom.stacks.pipeline.stages.pri.app).hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          Aliases: ['api.example.com'],
          ViewerCertificate: { AcmCertificateArn: certificateArn, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
        }),
      });
    } finally {
      removeOutdir(custom);
    }
  });

  test('half a custom domain, or a certificate outside us-east-1, is refused with the key to fix', () => {
    expect(() => synthApp({ env: { CLOUDFRONT_DOMAIN_NAME: 'api.example.com' } })).toThrow(
      /CLOUDFRONT_DOMAIN_NAME and CLOUDFRONT_CERTIFICATE_ARN go together/,
    );
    expect(() =>
      synthApp({
        env: { CLOUDFRONT_DOMAIN_NAME: 'api.example.com', CLOUDFRONT_CERTIFICATE_ARN: certificateArn.replace('us-east-1', 'eu-west-1') },
      }),
    ).toThrow(/CLOUDFRONT_CERTIFICATE_ARN=.* must be an ACM certificate ARN in us-east-1/);
  });
});
