// The edge standing in for CloudFront: one URL that forwards every request (method, path, query,
// headers including Authorization, body) to the active region's API. The active origin is re-read
// from edge.json whenever the file changes, so a failover's compare-and-swap takes effect on the
// next request without restarting anything. Clients get plain error messages; what to do about an
// origin that does not answer (which one, where the state is, the failover command) goes to the log
// and to `npm run local -- status`, never into a response.
import * as fs from 'node:fs';
import * as http from 'node:http';
import { EDGE_ORIGIN_KEY } from '#names';
import { readEdgeConfig, type EdgeConfig, type EdgeOrigin } from './edge-config';
import { readKvs, selectOrigin } from './edge-kvs';
import { closeServer, createServer, declaredTooLarge, listen, MAX_BODY_BYTES, sendError, sendJson, type ServerLimits } from './http-util';

export interface EdgeOptions {
  readonly configFile: string;
  /** The KeyValueStore stand-in (edge-kvs.ts), read per request like the CloudFront Function's KVS. */
  readonly kvsFile?: string;
  /** The regional APIs a KVS value may name; any other value falls back to the configured origin. */
  readonly knownOrigins?: () => readonly EdgeOrigin[];
  readonly port?: number;
  readonly host?: string;
  /** CloudFront's default origin response timeout is 30 s. */
  readonly originTimeoutMs?: number;
  /** @default MAX_BODY_BYTES, the regional APIs' own limit, so both hops answer the same 413 */
  readonly maxBodyBytes?: number;
  /** @default SERVER_LIMITS */
  readonly limits?: Partial<ServerLimits>;
  readonly log?: (message: string) => void;
}

export interface Edge {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** What clients read when the edge cannot forward: no URL, no path, no command. */
export const EDGE_MESSAGES = {
  noOrigin: 'Bad Gateway: no origin is configured',
  unreachable: 'Bad Gateway: the origin is not answering',
  timeout: 'Gateway Timeout: the origin did not answer in time',
} as const;

const VIA = '1.1 todomgmt-local-edge';

// RFC 9110 connection-specific headers: never forwarded by a proxy.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/**
 * The headers to pass on, from Node's raw list (name, value, name, value...): it keeps every header as
 * sent, duplicates and names like `__proto__` included, which `req.headers` (an object) cannot.
 */
function forwardable(rawHeaders: readonly string[], replaced: readonly string[] = []): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!HOP_BY_HOP.has(name) && !replaced.includes(name)) out.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return out;
}

/**
 * What changes whenever a state file is rewritten (writeJson renames a new file into place), or undefined when it
 * does not exist: a stat() per request is cheap, and correct even when fs.watch misses a rename.
 */
function stampOf(file: string): string | undefined {
  try {
    const stat = fs.statSync(file);
    return `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
  } catch {
    return undefined;
  }
}

export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.originTimeoutMs ?? 30_000;
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const log = options.log ?? (() => undefined);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let cached: { key: string; config: EdgeConfig } | undefined;
  // One log line per problem, not one per request: a client retrying in a loop must not flood the log.
  let reported: string | undefined;
  const report = (key: string, line: string) => {
    if (reported === key) return;
    reported = key;
    log(line);
  };

  const activeConfig = (): EdgeConfig | undefined => {
    const key = stampOf(options.configFile);
    if (key === undefined) return undefined;
    if (cached?.key !== key) {
      const config = readEdgeConfig(options.configFile);
      if (!config) return undefined;
      if (cached) log(`edge: origin is now ${config.origin.region} (${config.origin.url}), version ${config.version}`);
      cached = { key, config };
    }
    return cached.config;
  };

  let cachedKvs: { key: string; value: string | undefined } | undefined;
  const keyValue = (): string | undefined => {
    if (!options.kvsFile) return undefined;
    // No store yet: the configured origin serves.
    const key = stampOf(options.kvsFile) ?? 'absent';
    if (cachedKvs?.key !== key) cachedKvs = { key, value: key === 'absent' ? undefined : readKvs(options.kvsFile).items[EDGE_ORIGIN_KEY] };
    return cachedKvs.value;
  };
  let lastOrigin: string | undefined;
  const effective = (config: EdgeConfig): EdgeConfig => {
    const origin = selectOrigin(config.origin, keyValue(), options.knownOrigins?.() ?? []);
    if (lastOrigin !== undefined && lastOrigin !== origin.url) log(`edge: effective origin is now ${origin.region} (${origin.url})`);
    lastOrigin = origin.url;
    return origin === config.origin ? config : { ...config, origin };
  };

  const server = createServer((req, res) => {
    let config: EdgeConfig | undefined;
    try {
      const configured = activeConfig();
      config = configured && effective(configured);
    } catch (error) {
      report(`unreadable:${(error as Error).message}`, `edge: cannot read ${options.configFile}: ${(error as Error).message}`);
      return sendJson(res, 502, { message: EDGE_MESSAGES.noOrigin });
    }
    if (!config) {
      report('no-origin', `edge: no active origin in ${options.configFile}; is the rehearsal running? (npm run local -- status)`);
      return sendJson(res, 502, { message: EDGE_MESSAGES.noOrigin });
    }
    if (declaredTooLarge(req, maxBody)) {
      req.resume();
      return sendError(res, 413);
    }
    const origin = new URL(config.origin.url);
    const headers = forwardable(req.rawHeaders, ['x-forwarded-for', 'x-forwarded-proto', 'via']);
    const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
    headers.push('host', origin.host, 'x-forwarded-for', forwardedFor, 'x-forwarded-proto', 'http', 'via', VIA);

    let answered = false;
    let clientGone = false;
    const upstream = http.request(
      { protocol: origin.protocol, hostname: origin.hostname, port: origin.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        answered = true;
        if (reported) log(`edge: the origin ${config.origin.region} (${config.origin.url}) answers again`);
        reported = undefined;
        res.writeHead(answer.statusCode ?? 502, [...forwardable(answer.rawHeaders, ['via']), 'via', VIA]);
        answer.pipe(res);
        answer.once('error', () => res.destroy());
      },
    );
    upstream.setTimeout(timeoutMs, () => upstream.destroy(new OriginTimeout()));
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      // The origin answered (a 413 while the body was still coming, say) and closed: that answer stands.
      // A client that went away (or was cut off with a 408) is owed nothing.
      if (answered || clientGone) return;
      if (error instanceof BodyOverLimit) return sendError(res, 413);
      if (res.headersSent) return void res.destroy();
      const what = `the active origin ${config.origin.region} (${config.origin.role}, ${config.origin.url})`;
      if (error instanceof OriginTimeout) {
        report(`timeout:${config.version}:${config.origin.url}`, `edge: ${what} did not answer within ${timeoutMs} ms`);
        return sendJson(res, 504, { message: EDGE_MESSAGES.timeout });
      }
      report(
        `down:${config.version}:${config.origin.url}:${error.code ?? error.message}`,
        `edge: ${what} is not answering (${error.code ?? error.message}); if that region is down, ` +
          `fail over: npm run failover -- --local --mode failover (edge config ${options.configFile})`,
      );
      sendJson(res, 502, { message: EDGE_MESSAGES.unreachable });
    });
    // A chunked body has no Content-Length to check up front: count it on the way through.
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody && !answered) {
        req.unpipe(upstream);
        req.resume();
        upstream.destroy(new BodyOverLimit());
      }
    });
    req.pipe(upstream);
    // The client went away or timed out (408 from the server): the origin need not wait for the rest.
    req.once('close', () => {
      if (req.complete) return;
      clientGone = true;
      upstream.destroy();
    });
  }, options.limits);

  const port = await listen(server, options.port ?? 0, host, 'edge (LOCAL_EDGE_PORT)');
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      await closeServer(server);
      agent.destroy();
    },
  };
}

class OriginTimeout extends Error {}
class BodyOverLimit extends Error {}
