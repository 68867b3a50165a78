// The edge standing in for CloudFront: one URL that forwards every request (method, path, query,
// headers including Authorization, body) to the active region's API. The active origin is re-read
// from edge.json whenever the file changes, so a failover's compare-and-swap takes effect on the
// next request without restarting anything.
import * as fs from 'node:fs';
import * as http from 'node:http';
import { readEdgeConfig, type EdgeConfig } from './edge-config';
import { closeServer, listen, sendJson } from './http-util';

export interface EdgeOptions {
  readonly configFile: string;
  readonly port?: number;
  readonly host?: string;
  /** CloudFront's default origin response timeout is 30 s. */
  readonly originTimeoutMs?: number;
  readonly log?: (message: string) => void;
}

export interface Edge {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

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

export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.originTimeoutMs ?? 30_000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let cached: { key: string; config: EdgeConfig } | undefined;

  // stat() per request: cheap, and correct even when fs.watch misses a rename.
  const activeConfig = (): EdgeConfig | undefined => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(options.configFile);
    } catch {
      return undefined;
    }
    const key = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
    if (cached?.key !== key) {
      const config = readEdgeConfig(options.configFile);
      if (!config) return undefined;
      if (cached) options.log?.(`edge: origin is now ${config.origin.region} (${config.origin.url}), version ${config.version}`);
      cached = { key, config };
    }
    return cached.config;
  };

  const server = http.createServer((req, res) => {
    let config: EdgeConfig | undefined;
    try {
      config = activeConfig();
    } catch (error) {
      return sendJson(res, 502, { message: `Bad Gateway: edge config unreadable: ${(error as Error).message}` });
    }
    if (!config) return sendJson(res, 502, { message: `Bad Gateway: no active origin configured (${options.configFile})` });
    const origin = new URL(config.origin.url);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    }
    headers.host = origin.host;
    headers['x-forwarded-for'] = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
    headers['x-forwarded-proto'] = 'http';
    headers.via = '1.1 todomgmt-local-edge';

    const upstream = http.request(
      { protocol: origin.protocol, hostname: origin.hostname, port: origin.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
        }
        out.via = '1.1 todomgmt-local-edge';
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
        answer.once('error', () => res.destroy());
      },
    );
    upstream.setTimeout(timeoutMs, () => {
      upstream.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const timedOut = /no answer within/.test(error.message);
      const what = `the active origin ${config.origin.region} (${config.origin.role}, ${config.origin.url})`;
      sendJson(res, timedOut ? 504 : 502, {
        message: timedOut
          ? `Gateway Timeout: ${what} did not answer within ${timeoutMs} ms`
          : `Bad Gateway: ${what} is not answering (${error.code ?? error.message}); ` +
            'if that region is down, run: npm run failover -- --local --mode failover',
      });
    });
    req.pipe(upstream);
    req.once('error', () => upstream.destroy());
  });

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
