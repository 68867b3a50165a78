// The supervisor's unix control socket (0600, in the state dir), both sides: the small HTTP API the CLI
// uses to ask a running rehearsal for its status, kill or revive a region, or invoke a function, and the
// client that calls it.
import * as fs from 'node:fs';
import * as http from 'node:http';
import { TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';
import { REGION_ROLES, type RegionRole } from '#names';
import { BodyAbortedError, BodyTooLargeError, closeServer, createServer, readBody, sendJson } from './http-util';

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
  // Only the CLI talks here (0600 socket), a few requests at a time.
  const server = createServer(
    (req, res) => {
      handle(handlers, req, res).catch((error: Error) => {
        if (error instanceof BodyAbortedError) return;
        if (error instanceof BodyTooLargeError) return sendJson(res, 413, { error: error.message }, { connection: 'close' });
        sendJson(res, 500, { error: error.message });
      });
    },
    { maxConnections: 16 },
  );
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
// Own keys only: `__proto__` or `constructor` is `in` every object.
const isFunction = (value: string | undefined): value is ToDoFunctionName => value !== undefined && Object.hasOwn(TODO_FUNCTIONS, value);

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
    let payload: unknown = {};
    try {
      if (body) payload = JSON.parse(body);
    } catch (error) {
      return sendJson(res, 400, { error: `the payload is not JSON: ${(error as Error).message}` });
    }
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
