// The edge's one piece of configuration: which regional API is the active origin. Changes are a
// compare-and-swap on `version`, the local twin of CloudFront's UpdateDistribution with IfMatch: two
// concurrent failover runs cannot both win, and a run working from a stale read fails loudly.
import type { RegionRole } from '#names';
import { readJson, withFileLock, writeJson } from './state';

export interface EdgeOrigin {
  readonly role: RegionRole;
  readonly region: string;
  /** Base URL of that region's API, e.g. http://127.0.0.1:8811 */
  readonly url: string;
}

export interface EdgeConfig {
  readonly version: number;
  readonly origin: EdgeOrigin;
  readonly updatedAt: string;
}

export class EdgeVersionConflictError extends Error {
  constructor(
    readonly expected: number,
    readonly actual: number | undefined,
  ) {
    super(`edge config changed meanwhile: expected version ${expected}, found ${actual ?? 'none'}; re-read it and retry`);
    this.name = 'EdgeVersionConflictError';
  }
}

export function readEdgeConfig(file: string): EdgeConfig | undefined {
  const config = readJson<EdgeConfig>(file);
  if (config === undefined) return undefined;
  if (!Number.isInteger(config.version) || !config.origin || typeof config.origin.url !== 'string') {
    throw new Error(`${file} is not an edge config ({ version, origin: { role, region, url } })`);
  }
  return config;
}

/** Replaces the origin only if the stored version is still `expectedVersion`; returns the new config. */
export function updateEdgeOrigin(file: string, expectedVersion: number, origin: EdgeOrigin): Promise<EdgeConfig> {
  return withFileLock(file, () => {
    const current = readEdgeConfig(file);
    if (current?.version !== expectedVersion) throw new EdgeVersionConflictError(expectedVersion, current?.version);
    const next: EdgeConfig = { version: current.version + 1, origin, updatedAt: new Date().toISOString() };
    writeJson(file, next);
    return next;
  });
}

/**
 * At start: keep the active role (it may be secd after a failover) but refresh its URL, since ports
 * can change between runs. Creates version 1 pointing at `initial` when there is no config yet.
 */
export function reconcileEdgeConfig(file: string, initial: EdgeOrigin, urlOf: (role: RegionRole) => EdgeOrigin): Promise<EdgeConfig> {
  return withFileLock(file, () => {
    const current = readEdgeConfig(file);
    const wanted = current ? urlOf(current.origin.role) : initial;
    if (current && current.origin.url === wanted.url && current.origin.region === wanted.region) return current;
    const next: EdgeConfig = { version: (current?.version ?? 0) + 1, origin: wanted, updatedAt: new Date().toISOString() };
    writeJson(file, next);
    return next;
  });
}
