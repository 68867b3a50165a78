// One region's API, run in its own child process because the handlers keep a module-scope database
// connection configured from env at cold start (as in Lambda). It serves API_ROUTES with the same
// handler modules the CDK app deploys: route match → Cognito-like authorizer → proxy event → handler.
// Besides HTTP it takes `invoke` messages from the supervisor over IPC (the local `aws lambda invoke`).
import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import { API_ROUTES, OAUTH_SCOPE, REGION_HEADER, type ToDoFunctionName } from '#routes';
import { functionName as physicalName, type RegionRole } from '#names';
import { lambdaContext, toProxyEvent, writeProxyResult } from './apigw-event';
import { createAuthorizer } from './authorizer';
import {
  BodyAbortedError,
  BodyTooLargeError,
  createServer,
  declaredTooLarge,
  listen,
  MAX_BODY_BYTES,
  readBody,
  requestUrl,
  sendError,
  sendJson,
  type ServerLimits,
} from './http-util';
import type { JsonWebKeySet } from './token-endpoint';

export type LambdaHandler = (event: unknown, context?: unknown) => Promise<unknown>;
export type HandlerTable = Readonly<Record<ToDoFunctionName, LambdaHandler>>;

/** Env the supervisor passes to each regional API process (plus the handlers' DB_* variables). */
export interface RegionalApiEnv {
  readonly TODOMGMT_REGION: string;
  readonly TODOMGMT_ROLE: RegionRole;
  readonly TODOMGMT_API_PORT: string;
  readonly TODOMGMT_ISSUER: string;
  /** The token endpoint's JWKS, as JSON: both regions trust the same issuer. */
  readonly TODOMGMT_JWKS: string;
}

export type ApiMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'result'; readonly id: string; readonly ok: boolean; readonly value?: unknown; readonly error?: string };
export type SupervisorMessage = {
  readonly type: 'invoke';
  readonly id: string;
  readonly functionName: ToDoFunctionName;
  readonly payload: unknown;
};

export const HEALTH_PATH = '/__local/health';
/** API Gateway's maximum integration timeout. */
const INTEGRATION_TIMEOUT_MS = 29_000;

export interface RegionalApiOptions {
  readonly region: string;
  readonly role: RegionRole;
  readonly issuer: string;
  readonly jwks: JsonWebKeySet;
  readonly log: (line: string) => void;
  /** @default MAX_BODY_BYTES */
  readonly maxBodyBytes?: number;
  /** @default SERVER_LIMITS */
  readonly limits?: Partial<ServerLimits>;
}

export interface RegionalApi {
  readonly server: http.Server;
  /** Runs one function as its Lambda would, bounded by API Gateway's integration timeout. */
  readonly invoke: (fn: ToDoFunctionName, event: unknown, requestId: string) => Promise<unknown>;
}

/** The HTTP side of one region: route match → authorizer → proxy event → handler, errors as API Gateway answers them. */
export function createRegionalApi(handlers: HandlerTable, o: RegionalApiOptions): RegionalApi {
  const authorize = createAuthorizer({ issuer: o.issuer, jwks: o.jwks, requiredScope: OAUTH_SCOPE });
  const apiId = `local${o.role}`;
  const maxBody = o.maxBodyBytes ?? MAX_BODY_BYTES;

  const invoke = async (fn: ToDoFunctionName, event: unknown, requestId: string): Promise<unknown> => {
    const context = lambdaContext(physicalName(o.role, fn), o.region, INTEGRATION_TIMEOUT_MS, requestId);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new IntegrationTimeout()), INTEGRATION_TIMEOUT_MS);
    });
    try {
      return await Promise.race([handlers[fn](event, context), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = randomUUID();
    const common = { 'x-amzn-requestid': requestId, [REGION_HEADER]: o.region };
    res.once('finish', () => o.log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
    try {
      // API Gateway refuses an oversized payload before anything else looks at the request.
      if (declaredTooLarge(req, maxBody)) {
        req.resume();
        return sendError(res, 413, common);
      }
      const url = requestUrl(req);
      if (!url) return sendError(res, 400, common);
      const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      if (pathname === HEALTH_PATH) return sendJson(res, 200, { status: 'ok', region: o.region, role: o.role }, common);

      const onPath = API_ROUTES.filter((r) => r.path === pathname);
      // API Gateway says 403 "Missing Authentication Token" for both; 404/405 say what is wrong.
      if (onPath.length === 0)
        return sendJson(res, 404, { message: `Not Found: no resource ${pathname} (routes live on ${API_ROUTES[0].path})` }, common);
      const route = onPath.find((r) => r.method === req.method);
      if (!route)
        return sendJson(
          res,
          405,
          { message: `Method Not Allowed: ${req.method} ${pathname}` },
          { ...common, allow: onPath.map((r) => r.method).join(', ') },
        );

      const decision = await authorize(req.headers.authorization);
      if (!decision.allow) {
        // A fixed reason (authorizer.ts REFUSALS): nothing of the token reaches the log or a header.
        o.log(`refused ${decision.statusCode}: ${decision.reason}`);
        return sendJson(res, decision.statusCode, decision.body, { ...common, 'x-todomgmt-auth-error': decision.reason });
      }
      const body = await readBody(req, maxBody);
      const event = toProxyEvent({
        method: route.method,
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        body,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        resource: route.path,
        claims: decision.claims,
        apiId,
        requestId,
      });
      const result = await invoke(route.functionName, event, requestId);
      writeProxyResult(res, result, common);
    } catch (error) {
      if (error instanceof BodyAbortedError) return; // the client is gone (or got its 408)
      if (res.headersSent) return void res.destroy();
      if (error instanceof BodyTooLargeError) return sendError(res, 413, common);
      if (error instanceof IntegrationTimeout) return sendJson(res, 504, { message: 'Endpoint request timed out' }, common);
      o.log(`function error: ${(error as Error).stack ?? String(error)}`);
      sendJson(res, 502, { message: 'Internal server error' }, common);
    }
  };
  // serve() answers every error itself.
  const server = createServer((req, res) => void serve(req, res), o.limits);
  return { server, invoke };
}

/** The child process's main: env from the supervisor, HTTP on its port, `invoke` over IPC. */
export async function runRegionalApi(handlers: HandlerTable, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const region = requireEnv(env, 'TODOMGMT_REGION');
  const role = requireEnv(env, 'TODOMGMT_ROLE') as RegionRole;
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${region} ${line}\n`);
  const { server, invoke } = createRegionalApi(handlers, {
    region,
    role,
    issuer: requireEnv(env, 'TODOMGMT_ISSUER'),
    jwks: JSON.parse(requireEnv(env, 'TODOMGMT_JWKS')) as JsonWebKeySet,
    log,
  });

  process.on('message', (message: SupervisorMessage) => {
    if (message?.type !== 'invoke') return;
    invoke(message.functionName, message.payload, message.id).then(
      (value) => process.send?.({ type: 'result', id: message.id, ok: true, value } satisfies ApiMessage),
      (error: Error) => process.send?.({ type: 'result', id: message.id, ok: false, error: error.message } satisfies ApiMessage),
    );
  });
  // The supervisor going away means this region goes away too: no orphaned APIs.
  process.on('disconnect', () => process.exit(0));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      server.close();
      server.closeAllConnections();
      process.exit(0);
    });
  }

  const port = await listen(
    server,
    Number(requireEnv(env, 'TODOMGMT_API_PORT')),
    '127.0.0.1',
    `${region} API (LOCAL_${role.toUpperCase()}_API_PORT)`,
  );
  log(`API listening on http://127.0.0.1:${port}`);
  process.send?.({ type: 'listening', port } satisfies ApiMessage);
}

class IntegrationTimeout extends Error {}

function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: the regional API is started by the rehearsal's supervisor`);
  return value;
}
