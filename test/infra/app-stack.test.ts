import { Match, type Template } from 'aws-cdk-lib/assertions';
import { API_ROUTES, OAUTH_RESOURCE_SERVER, OAUTH_SCOPE, OAUTH_SCOPE_NAME, TODO_FUNCTIONS } from '#routes';
import { API_STAGE_NAME, DB_USER, functionName, type RegionRole, ssmParameterName } from '#names';
import { removeOutdir, type SynthesizedApp, synthApp } from './synth-app';

// Managed CloudFront policies (fixed ids documented by AWS).
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

let synthesized: SynthesizedApp;
const templates = {} as Record<RegionRole, Template>;

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
      expect(env).toMatchObject({ DB_PORT: '3306', DB_NAME: 'todos', DB_USER, DB_AUTH: 'iam' });
      // The proxy endpoint comes from the same region's infra stack.
      expect(JSON.stringify(env.DB_HOST)).toMatch(/Fn::ImportValue.*ToDoMgmt-infra-/);
      expect(JSON.stringify(env.DB_HOST)).toMatch(/Proxy.*Endpoint/);
      expect(Object.keys(env).filter((key) => /PASSWORD|SECRET/i.test(key))).toEqual([]);
    }
    // rds-db:connect for the proxy's user, and no broad RDS or Secrets Manager rights.
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'rds-db:connect', Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }) }),
        ]),
      },
    });
    const policies = JSON.stringify(template().findResources('AWS::IAM::Policy'));
    expect(policies).not.toMatch(/"rds:\*"|secretsmanager:GetSecretValue|"Action":"\*"/);
    expect(JSON.stringify(template().findResources('AWS::IAM::Role'))).not.toMatch(/FullAccess/);
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

  test('creates the table after deployment by invoking CreateTableFunction with {"action":"CREATE_TABLE"}', () => {
    pri().resourceCountIs('Custom::Trigger', 1);
    const invoker = pri().findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { CREATE_TABLE_FUNCTION: Match.anyValue() } } },
    });
    const [fn] = Object.values(invoker);
    expect(fn.Properties.Code.ZipFile).toContain(`JSON.stringify({ action: 'CREATE_TABLE' })`);
    expect(fn.Properties.Code.ZipFile).toContain('FunctionError');
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
