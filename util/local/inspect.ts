// Reads one local region's live state without changing anything: is its database up, read-only,
// replicating from whom; does its API answer. Shared by `npm run local -- status` and the failover
// driver's discover().
import type { RegionRole } from '#names';
import type { EdgeConfig } from './edge-config';
import { HEALTH_PATH } from './regional-api';
import { connectAdmin } from './admin-connection';
import { serverState, type ServerState } from './replication-steps';
import type { RegionRuntime } from './runtime';
import type { LocalSecrets } from './secrets';

export interface RegionInspection {
  readonly role: RegionRole;
  readonly name: string;
  readonly apiUrl: string;
  readonly dbPort: number;
  readonly dbReachable: boolean;
  readonly dbError?: string;
  readonly db?: ServerState;
  readonly apiHealthy: boolean;
  readonly apiError?: string;
}

export async function inspectRegion(
  role: RegionRole,
  region: RegionRuntime,
  secrets: LocalSecrets,
  timeoutMs = 1500,
): Promise<RegionInspection> {
  const [db, api] = await Promise.all([inspectDb(region.dbPort, secrets, timeoutMs), inspectApi(region.apiUrl, timeoutMs)]);
  return { role, name: region.name, apiUrl: region.apiUrl, dbPort: region.dbPort, ...db, ...api };
}

async function inspectDb(port: number, secrets: LocalSecrets, timeoutMs: number) {
  try {
    const connection = await connectAdmin(port, secrets, timeoutMs);
    try {
      return { dbReachable: true, db: await serverState(connection) };
    } finally {
      connection.destroy();
    }
  } catch (error) {
    return { dbReachable: false, dbError: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
}

async function inspectApi(apiUrl: string, timeoutMs: number) {
  try {
    const res = await fetch(`${apiUrl}${HEALTH_PATH}`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.status === 200 ? { apiHealthy: true } : { apiHealthy: false, apiError: `HTTP ${res.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return { apiHealthy: false, apiError: cause?.code ?? (error as Error).message };
  }
}

/** One line per region for humans. */
export function describeRegion(r: RegionInspection, writer: RegionRole): string {
  const api = r.apiHealthy ? 'api up' : `api DOWN (${r.apiError})`;
  const expected = r.role === writer ? 'writer' : 'replica';
  return `${`${r.name} (${r.role})`.padEnd(20)} ${expected.padEnd(8)} ${api}; ${describeDb(r)}; gtid ${r.db?.gtidCurrentPos || '-'}`;
}

function describeDb(r: RegionInspection): string {
  if (!r.dbReachable || !r.db) return `db DOWN (${r.dbError})`;
  if (!r.db.readOnly) return 'db WRITABLE';
  const replica = r.db.replica;
  if (!replica) return 'db read-only, not replicating';
  const error = replica.lastIoError || replica.lastSqlError;
  return `db read-only, replica (IO ${replica.ioRunning}, SQL ${replica.sqlRunning}${error ? `: ${error}` : ''})`;
}

/**
 * What the edge cannot tell its clients (they get a plain 502): which origin does not answer and what
 * to do about it. For `status`; the edge logs the same.
 */
export function edgeHint(edge: EdgeConfig | undefined, regions: readonly RegionInspection[]): string | undefined {
  if (!edge) return 'the edge has no origin (edge.json is missing): restart the rehearsal (npm run local -- start)';
  const origin = regions.find((r) => r.role === edge.origin.role);
  if (!origin || origin.apiHealthy) return undefined;
  return (
    `the edge sends traffic to ${origin.name} (${origin.role}, ${edge.origin.url}), whose API is not answering ` +
    `(${origin.apiError}): clients get 502. If that region is down, fail over: npm run failover -- --local --mode failover`
  );
}
