// The edge and the identity on AWS, as synthesized: the viewer-request function with its KeyValueStore, the
// region in API Gateway's own answers, stage throttling, CloudFront access logs, and the two opt-ins (WAF=true,
// COGNITO_REPLICA=true) against the default app, where neither leaves a trace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { REGION_HEADER } from '#routes';
import { EDGE_ORIGIN_KEY, ORIGIN_VERIFY_HEADER, originVerifySecretName, type RegionRole, type SsmKey, ssmParameterName } from '#names';
import { edgeFunctionCode } from '../../lib/constructs/edge-origin-selector';
import { removeOutdir, type SynthesizedApp, synthApp } from './synth-app';

const OPT_IN_ENV = {
  WAF: 'true',
  WAF_RATE_LIMIT: '500',
  COGNITO_REPLICA: 'true',
  API_THROTTLE_RATE: '25',
  API_THROTTLE_BURST: '50',
  EDGE_LOG_RETENTION_DAYS: '30',
};

let plain: SynthesizedApp;
let optIn: SynthesizedApp;
const templates = {} as Record<'plain' | 'optIn', Record<RegionRole, Template>>;

beforeAll(() => {
  plain = synthApp({ bundle: false });
  optIn = synthApp({ bundle: false, env: OPT_IN_ENV });
  for (const [name, app] of [
    ['plain', plain],
    ['optIn', optIn],
  ] as const) {
    templates[name] = {
      pri: app.template(app.stacks.pipeline.stages.pri.app),
      secd: app.template(app.stacks.pipeline.stages.secd.app),
    };
  }
});
afterAll(() => {
  removeOutdir(plain);
  removeOutdir(optIn);
});

const readers = (template: Template) =>
  Object.values(template.findResources('Custom::AWS')).map((r) => JSON.parse(r.Properties.Create as string));
const parameter = (template: Template, regionRole: RegionRole, key: SsmKey) =>
  Object.values(template.findResources('AWS::SSM::Parameter', { Properties: { Name: ssmParameterName(regionRole, key) } }));

describe('per-request origin selection at the edge', () => {
  const pri = () => templates.plain.pri;

  test('a KeyValueStore, created empty (no import source: an absent key means the primary), removed with the stack', () => {
    pri().resourceCountIs('AWS::CloudFront::KeyValueStore', 1);
    const [store] = Object.values(pri().findResources('AWS::CloudFront::KeyValueStore'));
    expect(store.Properties.ImportSource).toBeUndefined();
    expect(store.DeletionPolicy).toBe('Delete');
  });

  test('a JavaScript 2.0 function with the store attached, and the deployed code is edgeFunctionCode() of both regions', () => {
    pri().hasResourceProperties('AWS::CloudFront::Function', {
      Name: 'ToDoMgmt-app-pri-edge-origin',
      AutoPublish: true,
      FunctionConfig: Match.objectLike({
        Runtime: 'cloudfront-js-2.0',
        KeyValueStoreAssociations: [{ KeyValueStoreARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EdgeOriginStore'), 'Arn'] } }],
      }),
      FunctionCode: edgeFunctionCode({ originKey: EDGE_ORIGIN_KEY, regions: ['us-east-1', 'us-east-2'] }),
    });
  });

  test('associated as viewer-request on the API behaviour, while the configured origin stays the primary API', () => {
    pri().hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultCacheBehavior: Match.objectLike({
          TargetOriginId: 'ToDoMgmtApi',
          FunctionAssociations: [
            { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EdgeOriginFunction'), 'FunctionARN'] } },
          ],
        }),
        Origins: [Match.objectLike({ Id: 'ToDoMgmtApi', DomainName: Match.objectLike({ 'Fn::Join': Match.anyValue() }) })],
      }),
    });
    expect(JSON.stringify(pri().findResources('AWS::CloudFront::Distribution'))).toContain('.execute-api.us-east-1.');
  });

  test('the primary publishes the store ARN (kvs-arn) and the edge host (edge-domain)', () => {
    const [kvs] = parameter(pri(), 'pri', 'kvs-arn');
    expect(kvs.Properties.Value).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EdgeOriginStore/), 'Arn'] });
    const [edge] = parameter(pri(), 'pri', 'edge-domain');
    expect(JSON.stringify(edge.Properties.Value)).toMatch(/EdgeDistribution.*DomainName/);
    expect(Object.keys(pri().findOutputs('*'))).toEqual(expect.arrayContaining(['EdgeKeyValueStoreArn', 'CloudfrontUrl']));
  });

  test('with a custom domain, edge-domain is that name (what viewers and the failover probe call)', () => {
    const custom = synthApp({
      bundle: false,
      env: {
        CLOUDFRONT_DOMAIN_NAME: 'api.example.com',
        CLOUDFRONT_CERTIFICATE_ARN: 'arn:aws:acm:us-east-1:111111111111:certificate/0a1b2c3d-1111-2222-3333-444455556666',
      },
    });
    try {
      const [edge] = parameter(custom.template(custom.stacks.pipeline.stages.pri.app), 'pri', 'edge-domain');
      expect(edge.Properties.Value).toBe('api.example.com');
    } finally {
      removeOutdir(custom);
    }
  });

  test('the secondary republishes kvs-arn and edge-domain, read from SSM in the primary region, so it alone can fail over', () => {
    const secd = templates.plain.secd;
    for (const key of ['kvs-arn', 'edge-domain', 'distribution-id'] as const) {
      expect(readers(secd)).toContainEqual(
        expect.objectContaining({ action: 'getParameter', parameters: { Name: ssmParameterName('pri', key) }, region: 'us-east-1' }),
      );
      const [published] = parameter(secd, 'secd', key);
      expect(published.Properties.Value).toEqual({
        'Fn::GetAtt': [expect.stringMatching(new RegExp(`^Primary${key.replace(/-/g, '')}Reader`)), 'Parameter.Value'],
      });
    }
    secd.resourceCountIs('AWS::CloudFront::KeyValueStore', 0);
    secd.resourceCountIs('AWS::CloudFront::Function', 0);
  });
});

describe.each(['pri', 'secd'] as const)('the regional API in %s', (regionRole) => {
  const region = regionRole === 'pri' ? 'us-east-1' : 'us-east-2';

  test('API Gateway’s own 4xx and 5xx answers carry the region header', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      templates.plain[regionRole].hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: { [`gatewayresponse.header.${REGION_HEADER}`]: `'${region}'` },
      });
    }
  });

  test('stage throttling comes from API_THROTTLE_RATE / API_THROTTLE_BURST (defaults 100 / 200)', () => {
    const throttle = (template: Template) =>
      Object.values(template.findResources('AWS::ApiGateway::Stage'))[0].Properties.MethodSettings[0] as Record<string, unknown>;
    expect(throttle(templates.plain[regionRole])).toMatchObject({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
    expect(throttle(templates.optIn[regionRole])).toMatchObject({ ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 });
  });
});

describe('CloudFront access logs', () => {
  test('standard logging to an S3 bucket with ACLs (which the delivery needs), expiring after EDGE_LOG_RETENTION_DAYS, retained', () => {
    for (const [name, days] of [
      ['plain', 90],
      ['optIn', 30],
    ] as const) {
      const pri = templates[name].pri;
      const buckets = pri.findResources('AWS::S3::Bucket', {
        Properties: { OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] } },
      });
      const [[logicalId, bucket]] = Object.entries(buckets);
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.Properties).toMatchObject({
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: days, Status: 'Enabled' }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      });
      pri.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          Logging: { Bucket: { 'Fn::GetAtt': [logicalId, 'RegionalDomainName'] }, IncludeCookies: false, Prefix: 'cloudfront/' },
        }),
      });
    }
  });
});

describe('WAF', () => {
  test('WAF=false (default): no web ACL, no origin header, no secret', () => {
    for (const template of Object.values(templates.plain)) {
      template.resourceCountIs('AWS::WAFv2::WebACL', 0);
      template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
      template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    }
    expect(JSON.stringify(templates.plain.pri.findResources('AWS::CloudFront::Distribution'))).not.toContain('OriginCustomHeaders');
  });

  test('WAF=true: a CloudFront web ACL with the managed common rules and the per-IP rate limit, on the distribution', () => {
    const pri = templates.optIn.pri;
    pri.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      DefaultAction: { Allow: {} },
      Rules: Match.arrayWith([
        Match.objectLike({
          Statement: { RateBasedStatement: { Limit: 500, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
          Action: { Block: {} },
        }),
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } } }),
      ]),
    });
    const [aclId] = Object.keys(pri.findResources('AWS::WAFv2::WebACL', { Properties: { Scope: 'CLOUDFRONT' } }));
    pri.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ WebACLId: { 'Fn::GetAtt': [aclId, 'Arn'] } }),
    });
  });

  test('WAF=true: the origin header value is a Secrets Manager dynamic reference, never a literal; the secret is replicated', () => {
    const pri = templates.optIn.pri;
    pri.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: originVerifySecretName,
      ReplicaRegions: [{ Region: 'us-east-2' }],
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'value' }),
    });
    const [distribution] = Object.values(pri.findResources('AWS::CloudFront::Distribution'));
    const [header] = distribution.Properties.DistributionConfig.Origins[0].OriginCustomHeaders;
    expect(header.HeaderName).toBe(ORIGIN_VERIFY_HEADER);
    expect(JSON.stringify(header.HeaderValue)).toMatch(
      /^\{"Fn::Join":\["",\["\{\{resolve:secretsmanager:",\{"Ref":"OriginVerifySecret\w+"\},":SecretString:value::\}\}"\]\]\}$/,
    );
  });

  test.each(['pri', 'secd'] as const)(
    'WAF=true: %s stage web ACL admits only requests with the header, resolved in its own region',
    (role) => {
      const template = templates.optIn[role];
      const acls = template.findResources('AWS::WAFv2::WebACL', { Properties: { Scope: 'REGIONAL' } });
      const [[aclId, acl]] = Object.entries(acls);
      expect(acl.Properties.DefaultAction).toEqual({ Block: {} });
      const [rule] = acl.Properties.Rules;
      expect(rule.Action).toEqual({ Allow: {} });
      expect(rule.Statement.ByteMatchStatement).toMatchObject({
        FieldToMatch: { SingleHeader: { Name: ORIGIN_VERIFY_HEADER } },
        PositionalConstraint: 'EXACTLY',
        TextTransformations: [{ Priority: 0, Type: 'NONE' }],
      });
      const searchString = JSON.stringify(rule.Statement.ByteMatchStatement.SearchString);
      expect(searchString).toContain('{{resolve:secretsmanager:');
      // The secondary reads its replica by name; the primary by the secret it creates.
      if (role === 'secd')
        expect(searchString).toBe(JSON.stringify(`{{resolve:secretsmanager:${originVerifySecretName}:SecretString:value::}}`));
      template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
        ResourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':/restapis/$'), Match.stringLikeRegexp('^/stages/$')])] },
      });
    },
  );

  test('WAF=true: no template holds the secret value, only references', () => {
    const outdir = optIn.outdir;
    const files = fs.readdirSync(outdir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.template.json'));
    for (const file of files) {
      const text = fs.readFileSync(path.join(outdir, file), 'utf8');
      for (const match of text.matchAll(/x-todomgmt-origin-verify[^}]*"HeaderValue":\s*("[^"]*")/g))
        expect(match[1]).toMatch(/resolve:secretsmanager/);
    }
  });
});

describe('Cognito multi-Region replication', () => {
  test('COGNITO_REPLICA=false (default): AWS-owned encryption, no replica, no TokenUrl in the secondary', () => {
    const { pri, secd } = templates.plain;
    const [pool] = Object.values(pri.findResources('AWS::Cognito::UserPool'));
    expect(pool.Properties.KeyConfiguration).toBeUndefined();
    expect(pool.Properties.IssuerConfiguration).toBeUndefined();
    pri.resourceCountIs('AWS::KMS::Key', 0);
    secd.resourceCountIs('AWS::Cognito::UserPoolReplica', 0);
    secd.resourceCountIs('AWS::KMS::ReplicaKey', 0);
    expect(Object.keys(secd.findOutputs('*'))).not.toContain('TokenUrl');
    secd.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      ProviderARNs: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Primaryuserpoolarn'), 'Parameter.Value'] }],
    });
  });

  test('COGNITO_REPLICA=true, primary: Essentials plan, a rotated multi-Region key Cognito may use, the original issuer', () => {
    const pri = templates.optIn.pri;
    const [[keyId, key]] = Object.entries(pri.findResources('AWS::KMS::Key'));
    expect(key.Properties).toMatchObject({ MultiRegion: true, EnableKeyRotation: true });
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cognito-idp.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
      }),
    );
    pri.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'ESSENTIALS',
      KeyConfiguration: { KeyType: 'CUSTOMER_MANAGED_KEY', KmsKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      IssuerConfiguration: { Type: 'ORIGINAL' },
    });
    const [published] = parameter(pri, 'pri', 'user-pool-key-arn');
    expect(published.Properties.Value).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    // The user pool keeps its logical id: switching the option on updates it in place (KeyConfiguration: no interruption).
    expect(Object.keys(pri.findResources('AWS::Cognito::UserPool'))).toEqual(
      Object.keys(templates.plain.pri.findResources('AWS::Cognito::UserPool')),
    );
  });

  test('COGNITO_REPLICA=true, secondary: the key replica, then the pool replica in this region, from the primary ids', () => {
    const secd = templates.optIn.secd;
    const [[replicaKeyId, replicaKey]] = Object.entries(secd.findResources('AWS::KMS::ReplicaKey'));
    expect(replicaKey.Properties.PrimaryKeyArn).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^Primaryuserpoolkeyarn/), 'Parameter.Value'],
    });
    expect(JSON.stringify(replicaKey.Properties.KeyPolicy)).toContain('cognito-idp.amazonaws.com');
    const [replica] = Object.values(secd.findResources('AWS::Cognito::UserPoolReplica'));
    expect(replica.Properties).toEqual({
      RegionName: 'us-east-2',
      UserPoolId: { 'Fn::GetAtt': [expect.stringMatching(/^Primaryuserpoolid/), 'Parameter.Value'] },
      // The app's tag reaches the stage's stacks (PipelineStack tags each stage).
      UserPoolTagsAtCreate: { application: 'ToDoMgmt' },
    });
    expect(replica.DependsOn).toContain(replicaKeyId);
    expect(readers(secd)).toContainEqual(expect.objectContaining({ parameters: { Name: ssmParameterName('pri', 'user-pool-key-arn') } }));
  });

  test('COGNITO_REPLICA=true, secondary: its API accepts the replica’s tokens (and the primary’s), only once the replica exists', () => {
    const secd = templates.optIn.secd;
    const [[authorizerId, authorizer]] = Object.entries(secd.findResources('AWS::ApiGateway::Authorizer'));
    expect(authorizer.Properties.ProviderARNs).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^Primaryuserpoolarn/), 'Parameter.Value'] },
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':cognito-idp:us-east-2:111111111111:userpool/',
            { 'Fn::GetAtt': [expect.stringMatching(/^Primaryuserpoolid/), 'Parameter.Value'] },
          ],
        ],
      },
    ]);
    const [replicaId] = Object.keys(secd.findResources('AWS::Cognito::UserPoolReplica'));
    expect(secd.toJSON().Resources[authorizerId].DependsOn).toContain(replicaId);
  });

  test('COGNITO_REPLICA=true, secondary: publishes the replica ARN for the failover program and outputs its TokenUrl', () => {
    const secd = templates.optIn.secd;
    const [published] = parameter(secd, 'secd', 'user-pool-replica-arn');
    expect(JSON.stringify(published.Properties.Value)).toContain(':cognito-idp:us-east-2:111111111111:userpool/');
    const { TokenUrl } = secd.findOutputs('TokenUrl');
    expect(TokenUrl.Value).toEqual({
      'Fn::Join': ['', ['https://todomgmt-dev-api-', { Ref: 'AWS::AccountId' }, '.auth.us-east-2.amazoncognito.com/oauth2/token']],
    });
  });
});

test('WAF=true with COGNITO_REPLICA=true: cdk-nag and CloudFormation validation find nothing unacknowledged', () => {
  const reports = JSON.parse(fs.readFileSync(path.join(optIn.outdir, 'validation-report.json'), 'utf8')).pluginReports as {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string }[];
  }[];
  expect(reports.flatMap((r) => r.violations.map((v) => `${r.pluginName}: ${v.ruleName}`))).toEqual([]);
  expect(reports.every((r) => r.conclusion === 'success')).toBe(true);
  // The acknowledgements that only the defaults need are gone where the opt-ins satisfy the rule.
  const acknowledged = JSON.stringify(optIn.assembly.stacksRecursively.map((s) => s.manifest.metadata ?? {}));
  expect(acknowledged).not.toMatch(/AwsSolutions-CFR2|AwsSolutions-APIG3/);
});
