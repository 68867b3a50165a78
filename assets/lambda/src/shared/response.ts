// The response envelope, identical for both event shapes:
//   {"status":"ok","response":<result>}  or  {"status":"error","response":"<message>"}
// API Gateway gets it as a JSON body with the status code; a direct invocation gets it with statusCode.
import type { APIGatewayProxyResult } from 'aws-lambda';
import { REGION_HEADER } from '#routes';

export type Envelope = { status: 'ok'; response: unknown } | { status: 'error'; response: string };
export type DirectResult = Envelope & { statusCode: number };
export type HandlerResult = APIGatewayProxyResult | DirectResult;

export function respond(source: 'api' | 'direct', statusCode: number, envelope: Envelope, requestId: string): HandlerResult {
  if (source === 'direct') return { statusCode, ...envelope };
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    // Answers depend on which region is active: no cache (CloudFront or browser) may keep them.
    'cache-control': 'no-store',
    'x-request-id': requestId,
  };
  // Which region answered, through the same edge URL: the failover's probe and clients read it.
  const region = process.env.AWS_REGION;
  if (region) headers[REGION_HEADER] = region;
  if (statusCode === 503) headers['retry-after'] = '5';
  return { statusCode, headers, body: JSON.stringify(envelope) };
}
