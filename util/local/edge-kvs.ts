// The local twin of the CloudFront KeyValueStore that the edge's CloudFront Function reads
// (assets/edge/origin-selector.js): one key, EDGE_ORIGIN_KEY, naming the API host that gets the traffic.
// Absent or naming no known API: the distribution's configured origin (edge.json) serves. Writes are
// compare-and-swap on an ETag, as PutKey/DeleteKey take IfMatch
// (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_kvs_PutKey.html). The KVS data plane is
// global: unlike UpdateDistribution it needs no us-east-1 control plane, so it works with pri down.
import { EDGE_ORIGIN_KEY } from '#names';
import type { EdgeOrigin } from './edge-config';
import { readJson, withFileLock, writeJson } from './state';

export interface KvsSnapshot {
  /** Changes on every write; what the next write must name in If-Match. */
  readonly etag: string;
  readonly items: Readonly<Record<string, string>>;
}

export class KvsPreconditionError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the key value store changed meanwhile: If-Match ${expected}, current ETag ${actual}; re-read it and retry`);
    this.name = 'KvsPreconditionError';
  }
}

const EMPTY_ETAG = 'E0';

export function readKvs(file: string): KvsSnapshot {
  const stored = readJson<KvsSnapshot>(file);
  if (stored === undefined) return { etag: EMPTY_ETAG, items: {} };
  if (typeof stored.etag !== 'string' || typeof stored.items !== 'object' || stored.items === null) {
    throw new Error(`${file} is not a key value store ({ etag, items })`);
  }
  return stored;
}

function nextEtag(etag: string): string {
  const n = Number(/^E(\d+)$/.exec(etag)?.[1] ?? 0);
  return `E${n + 1}`;
}

/** PutKey (value undefined: DeleteKey) with IfMatch: only if the store's ETag is still `ifMatch`. */
export function writeKvsKey(file: string, key: string, value: string | undefined, ifMatch: string): Promise<KvsSnapshot> {
  return withFileLock(file, () => {
    const current = readKvs(file);
    if (current.etag !== ifMatch) throw new KvsPreconditionError(ifMatch, current.etag);
    const items = { ...current.items };
    if (value === undefined) delete items[key];
    else items[key] = value;
    const next: KvsSnapshot = { etag: nextEtag(current.etag), items };
    writeJson(file, next);
    return next;
  });
}

/** The host (host:port locally) of an API's base URL: what the key names, as the CloudFront key names an API host. */
export const apiHost = (url: string): string => new URL(url).host;

/**
 * What origin-selector.js does per request: the key names one of the known API hosts → that origin;
 * absent, or naming none of them → the configured origin.
 */
export function selectOrigin(configured: EdgeOrigin, keyValue: string | undefined, known: readonly EdgeOrigin[]): EdgeOrigin {
  if (!keyValue) return configured;
  return known.find((origin) => apiHost(origin.url) === keyValue) ?? configured;
}

/**
 * At start: ports can change between runs, so a key naming no current API is pointed at the writer's
 * (it was set by a failover to the writer). No key, or a key naming a current API: left as it is.
 */
export async function reconcileKvs(file: string, known: readonly EdgeOrigin[], writer: EdgeOrigin): Promise<void> {
  const current = readKvs(file);
  const value = current.items[EDGE_ORIGIN_KEY];
  if (value === undefined || known.some((origin) => apiHost(origin.url) === value)) return;
  await writeKvsKey(file, EDGE_ORIGIN_KEY, apiHost(writer.url), current.etag);
}
