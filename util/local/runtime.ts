// What a running rehearsal publishes about itself: `endpoints.json` (the documented contract for
// users and scripts) and `runtime.json` (ports and pids for the CLI, status and the failover driver).
import type { RegionRole } from '#names';
import type { RegionStatus } from './region-processes';
import { isLiveSupervisor, readJson } from './state';

/** What the supervisor's control socket answers on GET /status. */
export interface RehearsalStatus {
  readonly pid: number;
  readonly stateDir: string;
  readonly regions: RegionStatus[];
  /** pri's always; secd's with COGNITO_REPLICA=true, with the replica's ACTIVE/INACTIVE status. */
  readonly tokenEndpoints: readonly { role: RegionRole; url: string; up: boolean; status?: string }[];
  /** The CloudFront control plane stand-in, in us-east-1 (down with that region). */
  readonly controlPlane: { readonly region: string; readonly url: string; readonly up: boolean };
}

/** The shape the README documents; scripts read it with jq. */
export interface Endpoints {
  readonly edgeUrl: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  readonly regions: Readonly<Record<RegionRole, RegionEndpoints>>;
}

export interface RegionEndpoints {
  readonly name: string;
  readonly apiUrl: string;
  readonly dbPort: number;
  /** The RDS Proxy stand-in's ports, which the region's functions use (absent while the region is down). */
  readonly proxy?: ProxyPorts;
  /** That region's token endpoint (secd's only with COGNITO_REPLICA=true); kept while the region is down. */
  readonly tokenUrl?: string;
}

/** The region's RDS Proxy stand-in: its default (read/write) endpoint and its READ_ONLY endpoint. */
export interface ProxyPorts {
  readonly readWrite: number;
  readonly readOnly: number;
}

export interface RegionRuntime {
  readonly name: string;
  readonly apiUrl: string;
  readonly apiPort: number;
  readonly dbPort: number;
  readonly dbDataDir: string;
  readonly proxy?: ProxyPorts;
  readonly tokenUrl?: string;
}

/** A region's part of endpoints.json. */
export function regionEndpoints(region: {
  readonly name: string;
  readonly apiUrl: string;
  readonly dbPort: number;
  readonly proxyPorts?: ProxyPorts;
}): RegionEndpoints {
  const { name, apiUrl, dbPort, proxyPorts } = region;
  return { name, apiUrl, dbPort, ...(proxyPorts ? { proxy: { readWrite: proxyPorts.readWrite, readOnly: proxyPorts.readOnly } } : {}) };
}

export interface Runtime {
  readonly supervisorPid: number;
  /** With the pid, names the supervisor process (process-util startTime): a reused pid is not it. */
  readonly supervisorStartTime?: string;
  readonly startedAt: string;
  readonly stateDir: string;
  readonly dbName: string;
  readonly issuer: string;
  readonly edgeUrl: string;
  readonly tokenUrl: string;
  readonly controlSocket: string;
  /** The CloudFront control plane stand-in (control-plane.ts); down while its region is killed. */
  readonly controlPlane?: { readonly url: string; readonly region: string; readonly up: boolean };
  /** COGNITO_REPLICA=true: the file holding the secd token endpoint's ACTIVE/INACTIVE status. */
  readonly tokenReplica?: string;
  readonly regions: Readonly<Record<RegionRole, RegionRuntime>>;
}

/** The runtime of a live supervisor, or undefined (never started, stopped, or crashed). */
export function liveRuntime(file: string): Runtime | undefined {
  const runtime = readJson<Runtime>(file);
  return runtime && isLiveSupervisor({ pid: runtime.supervisorPid, startTime: runtime.supervisorStartTime }) ? runtime : undefined;
}
