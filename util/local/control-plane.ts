// The local stand-in for CloudFront's control plane: the only way to change the distribution's
// configured origin (edge.json). GET /distribution answers the config with its version as ETag;
// PUT /distribution with If-Match replaces the origin, 412 when the ETag is stale, as
// UpdateDistribution does (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html).
// It "lives" in CLOUDFRONT_CONTROL_PLANE_REGION (us-east-1): killing that region takes it down, while
// the edge (the data plane) keeps serving, as the "AWS Fault Isolation Boundaries" whitepaper describes
// (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/global-services.html).
import type * as http from 'node:http';
import { REGION_ROLES, type RegionRole } from '#names';
import { EdgeVersionConflictError, readEdgeConfig, updateEdgeOrigin, type EdgeConfig, type EdgeOrigin } from './edge-config';
import { closeServer, createServer, listen, readBody, requestUrl, sendJson } from './http-util';

export const DISTRIBUTION_PATH = '/distribution';

export interface ControlPlane {
  readonly url: string;
  close(): Promise<void>;
}

export async function startControlPlane(options: {
  readonly configFile: string;
  /** The origins a PUT may name: the regional APIs, as CloudFront only accepts origins it has. */
  readonly origins: () => Readonly<Record<RegionRole, EdgeOrigin>>;
  readonly port?: number;
}): Promise<ControlPlane> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => sendJson(res, 500, { message: error.message }));
  });
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (requestUrl(req)?.pathname !== DISTRIBUTION_PATH) return sendJson(res, 404, { message: `try ${DISTRIBUTION_PATH}` });
    const current = readEdgeConfig(options.configFile);
    if (!current) return sendJson(res, 404, { message: 'NoSuchDistribution' });
    if (req.method === 'GET') return sendJson(res, 200, current, { etag: String(current.version) });
    if (req.method !== 'PUT') return sendJson(res, 405, { message: 'use GET or PUT' }, { allow: 'GET, PUT' });
    const ifMatch = Number(req.headers['if-match']);
    if (!Number.isInteger(ifMatch)) return sendJson(res, 400, { message: 'InvalidIfMatchVersion: If-Match is required' });
    let role: unknown;
    try {
      role = (JSON.parse((await readBody(req)).toString('utf8')) as { role?: unknown }).role;
    } catch {
      return sendJson(res, 400, { message: 'the body must be JSON: { "role": "pri" | "secd" }' });
    }
    if (!REGION_ROLES.includes(role as RegionRole)) return sendJson(res, 400, { message: `unknown origin ${String(role)}` });
    try {
      const next = await updateEdgeOrigin(options.configFile, ifMatch, options.origins()[role as RegionRole]);
      sendJson(res, 200, next, { etag: String(next.version) });
    } catch (error) {
      if (!(error instanceof EdgeVersionConflictError)) throw error;
      sendJson(res, 412, { message: `PreconditionFailed: ${error.message}` });
    }
  }
  const port = await listen(server, options.port ?? 0, '127.0.0.1', 'CloudFront control plane stand-in');
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

/** The client side (the failover driver's origin-swap): UpdateDistribution with IfMatch. */
export async function putDistributionOrigin(url: string, ifMatch: number, origin: EdgeOrigin): Promise<EdgeConfig> {
  let res: Response;
  try {
    res = await fetch(`${url}${DISTRIBUTION_PATH}`, {
      method: 'PUT',
      headers: { 'if-match': String(ifMatch), 'content-type': 'application/json' },
      body: JSON.stringify({ role: origin.role }),
      signal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    throw new Error(`the CloudFront control plane stand-in (${url}) does not answer: ${(error as Error).message}`, { cause: error });
  }
  const body = (await res.json()) as EdgeConfig & { message?: string };
  if (res.status !== 200) throw new Error(`UpdateDistribution stand-in answered ${res.status}: ${body.message}`);
  return body;
}
