// What API Gateway's Lambda proxy integration does, and nothing more: an HTTP request becomes an
// APIGatewayProxyEvent (REST API v1 format, with the Cognito authorizer's claims) and the function's
// APIGatewayProxyResult becomes the HTTP response.
import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Claims } from './authorizer';

export const LOCAL_ACCOUNT_ID = '000000000000';
export const STAGE = 'prod';

export interface EventSource {
  readonly method: string;
  /** Request target as received: path and query. */
  readonly url: string;
  /** Node's raw header list (name, value, name, value...), which keeps the client's spelling. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  /** The matched resource (`/v1`). */
  readonly resource: string;
  readonly claims: Claims;
  readonly apiId: string;
  readonly requestId: string;
}

/**
 * Header names and query keys are the client's text: `constructor` or `__proto__` must be plain keys.
 * They are collected in Maps and handed over as own properties (Object.fromEntries), which is what the
 * Lambda runtime's JSON.parse of the event makes of them on AWS.
 */
export function toProxyEvent(source: EventSource): APIGatewayProxyEvent {
  const url = new URL(source.url, 'http://localhost');
  const headerMap = new Map<string, string>();
  const multiHeaderMap = new Map<string, string[]>();
  for (let i = 0; i + 1 < source.rawHeaders.length; i += 2) {
    const [name, value] = [source.rawHeaders[i], source.rawHeaders[i + 1]];
    headerMap.set(name, value); // API Gateway keeps the last value in `headers`
    append(multiHeaderMap, name, value);
  }
  const queryMap = new Map<string, string>();
  const multiQueryMap = new Map<string, string[]>();
  for (const [name, value] of url.searchParams) {
    queryMap.set(name, value);
    append(multiQueryMap, name, value);
  }
  const headers: Record<string, string> = Object.fromEntries(headerMap);
  const multiValueHeaders: Record<string, string[]> = Object.fromEntries(multiHeaderMap);
  const query: Record<string, string> = Object.fromEntries(queryMap);
  const multiQuery: Record<string, string[]> = Object.fromEntries(multiQueryMap);
  const hasQuery = queryMap.size > 0;
  const now = Date.now();
  const userAgent = [...headerMap].find(([n]) => n.toLowerCase() === 'user-agent')?.[1] ?? null;
  return {
    resource: source.resource,
    path: url.pathname,
    httpMethod: source.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: source.body.length > 0 ? source.body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: source.apiId,
      authorizer: { claims: source.claims },
      protocol: 'HTTP/1.1',
      httpMethod: source.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: source.sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
      path: `/${STAGE}${url.pathname}`,
      stage: STAGE,
      requestId: source.requestId,
      requestTimeEpoch: now,
      requestTime: new Date(now).toUTCString(),
      resourceId: source.apiId.slice(0, 6),
      resourcePath: source.resource,
    },
  };
}

function append(map: Map<string, string[]>, name: string, value: string): void {
  const values = map.get(name);
  if (values) values.push(value);
  else map.set(name, [value]);
}

export function lambdaContext(functionName: string, region: string, timeoutMs: number, requestId: string = randomUUID()): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error('callback-style completion is not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

export class InvalidProxyResultError extends Error {}

/** Writes a proxy result; a malformed one is API Gateway's "502 Internal server error". */
export function writeProxyResult(res: http.ServerResponse, result: unknown, extraHeaders: Record<string, string>): void {
  const r = result as Partial<APIGatewayProxyResult> | undefined;
  if (!r || typeof r !== 'object' || !Number.isInteger(r.statusCode) || (r.body !== undefined && typeof r.body !== 'string')) {
    throw new InvalidProxyResultError(`malformed Lambda proxy response: ${JSON.stringify(result)?.slice(0, 200)}`);
  }
  const headers = Object.create(null) as http.OutgoingHttpHeaders;
  for (const [name, values] of Object.entries(r.multiValueHeaders ?? {})) headers[name.toLowerCase()] = values.map(String);
  for (const [name, value] of Object.entries(r.headers ?? {})) headers[name.toLowerCase()] = String(value);
  headers['content-type'] ??= 'application/json';
  const body = r.body === undefined ? Buffer.alloc(0) : r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(r.body, 'utf8');
  headers['content-length'] = body.length;
  res.writeHead(r.statusCode!, { ...headers, ...extraHeaders });
  res.end(body);
}
