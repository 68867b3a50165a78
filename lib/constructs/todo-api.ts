import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_BASE_PATH, API_ROUTES, OAUTH_SCOPE, REGION_HEADER, type ToDoFunctionName } from '#routes';
import { API_NAME, API_STAGE_NAME } from '#names';
import { removeBodyModel, upsertBodyModel, type JsonSchemaDraft4 } from '#lambda/shared/request-models';

export interface ToDoApiProps {
  /**
   * The user pools whose tokens the API accepts: the primary's, in both regions (tokens stay valid across a
   * failover), and in the secondary with COGNITO_REPLICA=true also the replica in its own region.
   */
  readonly userPools: readonly cognito.IUserPool[];
  readonly handlers: Readonly<Record<ToDoFunctionName, lambda.IFunction>>;
  /**
   * Stage throttling (every method): steady requests per second and the burst the token bucket allows.
   * @default - 100 per second, burst 200 (.env API_THROTTLE_RATE / API_THROTTLE_BURST)
   */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

/** API Gateway's own answers (no token, throttled, integration failure, ...) that carry the region header. */
const GATEWAY_RESPONSES_WITH_REGION = [apigateway.ResponseType.DEFAULT_4XX, apigateway.ResponseType.DEFAULT_5XX];

/**
 * The regional REST API built from the route table: every method behind the Cognito authorizer with
 * the `api/upsert-delete` scope, Lambda proxy integration, request validation, access logs, throttling.
 * Regional endpoint: CloudFront sits in front, an edge-optimized API would put a second one there.
 */
export class ToDoApi extends Construct {
  readonly api: apigateway.RestApi;

  constructor(scope: Construct, id: string, props: ToDoApiProps) {
    super(scope, id);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: API_NAME,
      description: 'ToDoMgmt REST API (active-passive across two regions)',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // API Gateway writes logs through one role per account and region; other APIs may rely on it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: API_STAGE_NAME,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: props.throttle?.rateLimit ?? 100,
        throttlingBurstLimit: props.throttle?.burstLimit ?? 200,
      },
    });

    // Every answer names its region, API Gateway's own included (a 401 before any function runs, a 429, a
    // 5xx), so a probe through the edge URL sees which region served it. The functions set the same header.
    // Header values of gateway responses are static mapping expressions: a literal in single quotes.
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
    for (const type of GATEWAY_RESPONSES_WITH_REGION) {
      this.api.addGatewayResponse(`Region${type.responseType}`, {
        type,
        responseHeaders: { [REGION_HEADER]: `'${Stack.of(this).region}'` },
      });
    }

    const authorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [...props.userPools],
      authorizerName: 'ToDoMgmtCognito',
    });
    const validator = this.api.addRequestValidator('Validator', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    // The gateway turns away bodies of the wrong structure before a function runs, with models generated
    // from the handlers' schemas; the handlers still check everything (and answer 415 for other types).
    const models: Partial<Record<string, apigateway.IModel>> = {
      POST: this.api.addModel('UpsertBody', {
        contentType: 'application/json',
        modelName: 'UpsertBody',
        description: 'POST /v1: a ToDo to create or update (generated from the handler schema)',
        schema: toCdkJsonSchema(upsertBodyModel()),
      }),
      DELETE: this.api.addModel('RemoveBody', {
        contentType: 'application/json',
        modelName: 'RemoveBody',
        description: 'DELETE /v1: the id to delete, or nothing when it comes as ?id= (generated from the handler schema)',
        schema: toCdkJsonSchema(removeBodyModel()),
      }),
    };

    const resource = this.api.root.resourceForPath(API_BASE_PATH);
    for (const route of API_ROUTES) {
      const hasBody = route.method !== 'GET';
      resource.addMethod(route.method, new apigateway.LambdaIntegration(props.handlers[route.functionName]), {
        authorizer,
        authorizationType: apigateway.AuthorizationType.COGNITO,
        authorizationScopes: [OAUTH_SCOPE],
        requestValidator: validator,
        requestParameters: hasBody ? undefined : { 'method.request.querystring.id': false },
        requestModels: hasBody ? { 'application/json': models[route.method]! } : undefined,
      });
    }

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'AWS-managed policy that API Gateway requires for its account-level logging role.',
    });
  }

  /** WAF=false: the stage has no web ACL (tokens are still required on every method). */
  acknowledgeNoWaf(): void {
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'AWS WAF is opt-in (cost): WAF=true in .env puts a web ACL that admits only CloudFront on this stage.',
    });
  }

  /** Host name CloudFront uses as origin: `<id>.execute-api.<region>.amazonaws.com`. */
  get domainName(): string {
    return executeApiDomainName(this.api);
  }
}

const SCHEMA_TYPES: Readonly<Record<string, apigateway.JsonSchemaType>> = Object.fromEntries(
  Object.values(apigateway.JsonSchemaType).map((t) => [t, t]),
);

/**
 * A draft-4 JSON Schema (as zod writes it) in CDK's JsonSchema shape. Keywords it does not know fail the
 * synth, so that nothing the handlers' schema says is silently dropped from the model.
 */
export function toCdkJsonSchema(schema: JsonSchemaDraft4): apigateway.JsonSchema {
  const out: Record<string, unknown> = {};
  const type = (t: unknown): apigateway.JsonSchemaType => {
    const known = SCHEMA_TYPES[String(t)];
    if (!known) throw new Error(`request model: unknown JSON Schema type ${JSON.stringify(t)}`);
    return known;
  };
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case '$schema':
        if (value !== 'http://json-schema.org/draft-04/schema#') throw new Error(`request model: not draft 4 (${String(value)})`);
        out.schema = apigateway.JsonSchemaVersion.DRAFT4;
        break;
      case 'type':
        out.type = Array.isArray(value) ? value.map(type) : type(value);
        break;
      case 'properties':
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, JsonSchemaDraft4>).map(([name, sub]) => [name, toCdkJsonSchema(sub)]),
        );
        break;
      case 'anyOf':
        out.anyOf = (value as JsonSchemaDraft4[]).map(toCdkJsonSchema);
        break;
      case 'required':
      case 'additionalProperties':
      case 'enum':
      case 'minLength':
      case 'maxLength':
      case 'minimum':
      case 'maximum':
      case 'pattern':
      case 'description':
        out[key] = value;
        break;
      default:
        throw new Error(`request model: JSON Schema keyword '${key}' has no mapping to an API Gateway model`);
    }
  }
  return out;
}

/** `<id>.execute-api.<region>.amazonaws.com`: the host a REST API answers on without a custom domain. */
export function executeApiDomainName(api: apigateway.IRestApi): string {
  return `${api.restApiId}.execute-api.${api.env.region}.${api.stack.urlSuffix}`;
}
