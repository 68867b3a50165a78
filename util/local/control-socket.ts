// The supervisor's unix control socket (0600, in the state dir), both sides: the small HTTP API the CLI
// uses to ask a running rehearsal for its status, kill or revive a region, or invoke a function, and the
// client that calls it.
import * as fs from 'node:fs';
import * as http from 'node:http';
import { TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';
import { REGION_ROLES, type RegionRole } from '#names';
import { closeServer, readBody, sendJson } from './http-util';

export interface ControlHandlers {
  status(): unknown;
  killRegion(role: RegionRole): Promise<void>;
  reviveRegion(role: RegionRole): Promise<void>;
  invoke(role: RegionRole, functionName: ToDoFunctionName, payload: unknown): Promise<unknown>;
}

export interface ControlServer {
  close(): Promise<void>;
}

/** sun_path is 108 bytes on Linux. */
const MAX_SOCKET_PATH = 100;

export async function startControlServer(socketPath: string, handlers: ControlHandlers): Promise<ControlServer> {
  fs.rmSync(socketPath, { force: true });
  if (socketPath.length > MAX_SOCKET_PATH) {
    throw new Error(`the state dir path is too long for a unix socket (${socketPath}); use a shorter LOCAL_STATE_DIR`);
  }
  const server = http.createServer((req, res) => {
    handle(handlers, req, res).catch((error: Error) => sendJson(res, 500, { error: error.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, 0o600);
  return {
    async close() {
      await closeServer(server);
      fs.rmSync(socketPath, { force: true });
    },
  };
}

const isRole = (value: string | undefined): value is RegionRole => REGION_ROLES.some((role) => role === value);
const isFunction = (value: string | undefined): value is ToDoFunctionName => value !== undefined && value in TODO_FUNCTIONS;

async function handle(handlers: ControlHandlers, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const [resource, role, action] = (req.url ?? '/').split('?')[0].split('/').filter(Boolean);
  if (req.method === 'GET' && resource === 'status') return sendJson(res, 200, handlers.status());
  if (req.method === 'POST' && resource === 'regions' && isRole(role)) {
    if (action === 'kill') await handlers.killRegion(role);
    else if (action === 'revive') await handlers.reviveRegion(role);
    else return sendJson(res, 404, { error: `unknown action ${action}` });
    return sendJson(res, 200, handlers.status());
  }
  if (req.method === 'POST' && resource === 'invoke' && isRole(role) && action) {
    if (!isFunction(action)) return sendJson(res, 404, { error: `unknown function ${action}` });
    const body = (await readBody(req)).toString('utf8');
    const payload: unknown = body ? JSON.parse(body) : {};
    return sendJson(res, 200, { result: await handlers.invoke(role, action, payload) });
  }
  sendJson(res, 404, { error: 'unknown control request' });
}

/** The CLI's side: one request to the supervisor; an error answer becomes a thrown Error with its message. */
export function controlRequest(
  socketPath: string,
  method: 'GET' | 'POST',
  urlPath: string,
  body?: unknown,
  timeoutMs = 60_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, method, path: urlPath, headers: { 'content-type': 'application/json' }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const parsed: unknown = text ? JSON.parse(text) : undefined;
          if ((res.statusCode ?? 500) >= 400) {
            reject(new Error((parsed as { error?: string } | undefined)?.error ?? `control request failed (${res.statusCode})`));
          } else resolve(parsed);
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer from the supervisor within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
