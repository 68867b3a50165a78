// Both ways a function is called, reduced to one shape:
// - API Gateway proxy events (REST v1 from the CDK app, and HTTP API v2 for good measure);
// - direct invocation (`aws lambda invoke --payload '{"id":"1"}'`), where the payload is the input.
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { UnsupportedMediaTypeError, ValidationError } from './errors';

/** A direct invocation payload, exactly as the article's `aws lambda invoke` commands send it. */
export type DirectInvocation = Record<string, unknown>;
export type ToDoEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2 | DirectInvocation;

export interface ApiRequest {
  readonly source: 'api';
  readonly method: string;
  readonly query: Readonly<Record<string, string>>;
  /** Parsed JSON body; undefined when there is none. */
  readonly body: unknown;
  readonly requestId?: string;
}

export interface DirectRequest {
  readonly source: 'direct';
  readonly payload: DirectInvocation;
}

export type ParsedRequest = ApiRequest | DirectRequest;

export function isApiEvent(event: unknown): event is APIGatewayProxyEvent | APIGatewayProxyEventV2 {
  if (!event || typeof event !== 'object') return false;
  const e = event as { httpMethod?: unknown; requestContext?: { http?: unknown } };
  return typeof e.httpMethod === 'string' || Boolean(e.requestContext && typeof e.requestContext === 'object' && e.requestContext.http);
}

export function parseEvent(event: unknown): ParsedRequest {
  if (isApiEvent(event)) return parseApiEvent(event);
  if (!event || typeof event !== 'object' || Array.isArray(event)) {
    throw new ValidationError('the invocation payload must be a JSON object, e.g. {"id":"1"}');
  }
  return { source: 'direct', payload: event as DirectInvocation };
}

function parseApiEvent(event: APIGatewayProxyEvent | APIGatewayProxyEventV2): ApiRequest {
  const v1 = 'httpMethod' in event ? event : undefined;
  const method = (v1 ? v1.httpMethod : (event as APIGatewayProxyEventV2).requestContext.http.method).toUpperCase();
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[key] = value;
  }
  for (const [key, values] of Object.entries(v1?.multiValueQueryStringParameters ?? {})) {
    if (values && values.length > 1) throw new ValidationError(`query parameter '${key}' is given more than once`);
  }
  return {
    source: 'api',
    method,
    query,
    body: parseBody(event.body, event.isBase64Encoded, contentType(event.headers)),
    requestId: event.requestContext?.requestId,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function contentType(headers: Readonly<Record<string, string | undefined>> | null | undefined): string | undefined {
  for (const [name, value] of Object.entries(headers ?? {})) if (name.toLowerCase() === 'content-type') return value;
  return undefined;
}

/**
 * A body is JSON in UTF-8, or it is refused with 415 before anything reads it. A missing Content-Type
 * means JSON: API Gateway defaults to application/json when a request has none ("Method request behavior
 * for payloads without mapping templates"), and a direct invocation has no headers at all. API Gateway's
 * request validator only checks bodies whose Content-Type has a model ("Request validation for REST APIs":
 * no matching content type, no validation), so this check is the one that holds for every other type.
 */
function checkMediaType(value: string | undefined): void {
  if (value === undefined || value.trim() === '') return;
  const [type, ...params] = value.split(';').map((part) => part.trim().toLowerCase());
  const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (type !== 'application/json') {
    throw new UnsupportedMediaTypeError(`the request body must be JSON: send Content-Type: application/json (got ${shown})`);
  }
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/^"|"$/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new UnsupportedMediaTypeError(`the request body must be UTF-8: send Content-Type: application/json (got ${shown})`);
  }
}

function parseBody(body: string | null | undefined, isBase64Encoded: boolean | undefined, type: string | undefined): unknown {
  if (body === null || body === undefined || body === '') return undefined;
  checkMediaType(type);
  let text = body;
  if (isBase64Encoded) {
    try {
      text = utf8.decode(Buffer.from(body, 'base64'));
    } catch {
      throw new ValidationError('request body is not valid UTF-8');
    }
  } else if (text.includes('\uFFFD')) {
    // A text body reaches the function already decoded: bytes that were not UTF-8 arrive as U+FFFD, the
    // replacement character. Storing it would not be the client's text byte for byte, so it is refused;
    // a client that means U+FFFD itself sends it as the JSON escape \ufffd, which passes.
    throw new ValidationError(
      'request body is not valid UTF-8 (it holds U+FFFD, the stand-in for undecodable bytes); send U+FFFD itself as \\ufffd',
    );
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** The JSON object a write request carries: the API body, or the direct payload itself. */
export function bodyObject(request: ParsedRequest): Record<string, unknown> {
  if (request.source === 'direct') return request.payload;
  if (request.body === undefined) throw new ValidationError('request body is required: a JSON object');
  if (!request.body || typeof request.body !== 'object' || Array.isArray(request.body)) {
    throw new ValidationError('request body must be a JSON object');
  }
  return request.body as Record<string, unknown>;
}
