// A stand-in for one region's RDS Proxy in the local rehearsal: two loopback ports, the proxy's default
// (read/write) endpoint and its READ_ONLY endpoint, both forwarding TCP to the region's MariaDB.
//
// What it promises (each from the AWS documentation):
// - read/write: refuses every connection while its region is not the writer according to topology.json,
//   with an ERR packet as the very first packet: "The target group doesn't have any associated read/write
//   instances" (Aurora user guide, "Using RDS Proxy with Aurora global databases": a proxy on a secondary
//   cluster has no writer to send read/write requests to). When its region stops being the writer, the
//   connections it holds are closed.
// - read-only: refuses while its region is the writer and has no reader instance (the primary as deployed:
//   one instance), forwards otherwise (a secondary's instances are all readers). "Working with Amazon RDS
//   Proxy endpoints": with no reader instance, the proxy returns an error immediately. Its connections are
//   closed when it starts refusing.
// - topology.json is read again for every new connection and every POLL_MS for the open ones.
// - the database is unreachable: an ERR 9501 "Timed-out waiting to acquire database connection"
//   ("Troubleshooting for RDS Proxy"), at once rather than after the proxy's borrow timeout.
// What it does not model: TLS, IAM authentication (clients log in with the database user's password),
// multiplexing and pinning, the queueing of requests during a failover, reader instances that are a
// different server (the read-only port reaches the region's only MariaDB, which is read-only whenever it
// is not the writer). The errno of the two refusals is not documented (only the message is): 1105, the
// errno the troubleshooting page gives for the proxy's own "Unknown error"; clients classify by message.
import * as net from 'node:net';
import type { RegionRole } from '#names';
import { readTopology } from './topology';

export const NO_WRITER_MESSAGE = "The target group doesn't have any associated read/write instances";
/** Our wording: AWS documents that the read-only endpoint fails without readers, not the message. */
export const NO_READER_MESSAGE = "The target group doesn't have any associated read-only instances";
export const BORROW_TIMEOUT_MESSAGE = 'Timed-out waiting to acquire database connection';
const ER_UNKNOWN_ERROR = 1105;
const ER_RDS_PROXY_BORROW_TIMEOUT = 9501;
const POLL_MS = 200;

export type ProxyEndpoint = 'readWrite' | 'readOnly';
const ENDPOINTS: readonly ProxyEndpoint[] = ['readWrite', 'readOnly'];

export interface EndpointCounters {
  /** Connections accepted on the port. */
  accepted: number;
  /** Forwarded to the database. */
  forwarded: number;
  /** Refused at the handshake (no writer / no reader). */
  refused: number;
  /** Open connections closed because the region's role changed. */
  closedOnRoleChange: number;
  /** The database did not take the connection (9501). */
  unreachable: number;
}

export interface RdsProxyOptions {
  readonly regionName: string;
  readonly role: RegionRole;
  readonly topologyFile: string;
  /** Reader instances of the region's cluster while it is the writer (the infra stacks: pri 0, secd 1). */
  readonly readerInstances: number;
  /** The database port, asked for every connection (a revived database may listen elsewhere). */
  readonly targetPort: () => number | undefined;
  /** @default any free port for each */
  readonly ports?: Partial<Record<ProxyEndpoint, number>>;
  /** @default silent */
  readonly log?: (line: string) => void;
}

export interface RdsProxy {
  readonly ports: Readonly<Record<ProxyEndpoint, number>>;
  /** A copy of the counters, per endpoint. */
  counters(): Record<ProxyEndpoint, EndpointCounters>;
  close(): Promise<void>;
}

/** A MySQL ERR packet with sequence id 0: what a server sends instead of its greeting when it refuses. */
export function errPacket(errno: number, message: string, sqlState = 'HY000'): Buffer {
  const payload = Buffer.concat([Buffer.from([0xff, errno & 0xff, errno >> 8]), Buffer.from(`#${sqlState}${message}`, 'utf8')]);
  const header = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, 0]);
  return Buffer.concat([header, payload]);
}

interface Pair {
  readonly endpoint: ProxyEndpoint;
  readonly client: net.Socket;
  upstream?: net.Socket;
}

export async function startRdsProxy(o: RdsProxyOptions): Promise<RdsProxy> {
  const log = o.log ?? (() => undefined);
  const zero = (): EndpointCounters => ({ accepted: 0, forwarded: 0, refused: 0, closedOnRoleChange: 0, unreachable: 0 });
  const counters: Record<ProxyEndpoint, EndpointCounters> = { readWrite: zero(), readOnly: zero() };
  const open = new Set<Pair>();

  const isWriter = (): boolean => {
    try {
      return readTopology(o.topologyFile)?.writer === o.role;
    } catch (error) {
      log(`[${o.regionName} proxy] ${(error as Error).message}: treated as not the writer`);
      return false;
    }
  };
  const refusal = (endpoint: ProxyEndpoint, writer: boolean): string | undefined => {
    if (endpoint === 'readWrite') return writer ? undefined : NO_WRITER_MESSAGE;
    return writer && o.readerInstances === 0 ? NO_READER_MESSAGE : undefined;
  };

  const accept = (endpoint: ProxyEndpoint, client: net.Socket) => {
    const count = counters[endpoint];
    count.accepted++;
    client.on('error', () => undefined);
    const refused = refusal(endpoint, isWriter());
    if (refused) {
      count.refused++;
      client.end(errPacket(ER_UNKNOWN_ERROR, refused));
      return;
    }
    const port = o.targetPort();
    if (!port) {
      count.unreachable++;
      client.end(errPacket(ER_RDS_PROXY_BORROW_TIMEOUT, BORROW_TIMEOUT_MESSAGE));
      return;
    }
    const pair: Pair = { endpoint, client };
    open.add(pair);
    const drop = () => {
      open.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.once('close', drop);
    let connected = false;
    const upstream = net.connect({ port, host: '127.0.0.1' });
    pair.upstream = upstream;
    upstream.once('connect', () => {
      connected = true;
      count.forwarded++;
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', () => {
      if (connected) return drop();
      count.unreachable++;
      open.delete(pair);
      client.end(errPacket(ER_RDS_PROXY_BORROW_TIMEOUT, BORROW_TIMEOUT_MESSAGE));
    });
    upstream.once('close', () => {
      if (connected) drop();
    });
  };

  const servers = {} as Record<ProxyEndpoint, net.Server>;
  const ports = {} as Record<ProxyEndpoint, number>;
  try {
    for (const endpoint of ENDPOINTS) {
      const server = net.createServer((socket) => accept(endpoint, socket));
      servers[endpoint] = server;
      ports[endpoint] = await listen(server, o.ports?.[endpoint] ?? 0);
    }
  } catch (error) {
    await Promise.all(Object.values(servers).map((s) => new Promise((resolve) => s.close(resolve))));
    throw error;
  }

  // The proxy drops the sessions of an endpoint that loses its targets (a writer demoted by a failover).
  const watcher = setInterval(() => {
    if (open.size === 0) return;
    const writer = isWriter();
    for (const pair of [...open]) {
      if (!refusal(pair.endpoint, writer)) continue;
      counters[pair.endpoint].closedOnRoleChange++;
      open.delete(pair);
      pair.client.destroy();
      pair.upstream?.destroy();
    }
  }, POLL_MS);
  watcher.unref();

  log(`[${o.regionName} proxy] read/write 127.0.0.1:${ports.readWrite}, read-only 127.0.0.1:${ports.readOnly}`);
  let closing: Promise<void> | undefined;
  return {
    ports,
    counters: () => ({ readWrite: { ...counters.readWrite }, readOnly: { ...counters.readOnly } }),
    close() {
      closing ??= (async () => {
        clearInterval(watcher);
        const closed = ENDPOINTS.map((e) => new Promise((resolve) => servers[e].close(resolve)));
        for (const pair of open) {
          pair.client.destroy();
          pair.upstream?.destroy();
        }
        open.clear();
        await Promise.all(closed);
      })();
      return closing;
    },
  };
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
