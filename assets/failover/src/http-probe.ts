// Asking an API which region answers it: a GET without credentials, as any client on the internet would
// send. Every answer of the regional APIs names its region in REGION_HEADER (the functions' responses and
// API Gateway's gateway responses, so a 401 does too), through CloudFront as well as directly.
import { REGION_HEADER } from '#routes';
import type { Clock } from './clock';

export interface HttpAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
}

/** One GET; rejects when nothing answered (DNS, connection, time-out). */
export type HttpGet = (url: string, timeoutMs: number) => Promise<HttpAnswer>;

export const fetchGet: HttpGet = async (url, timeoutMs) => {
  const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer().catch(() => undefined);
  return { status: res.status, headers: Object.fromEntries(res.headers) };
};

export interface RegionProbe {
  readonly url: string;
  /** The region the answer names; undefined when it named none or nothing answered. */
  readonly region?: string;
  readonly status?: number;
  /** Why nothing answered (`ENOTFOUND`, `ETIMEDOUT`, ...). */
  readonly error?: string;
  readonly attempts: number;
}

export interface ProbeOptions {
  readonly get: HttpGet;
  readonly clock: Clock;
  /** Stop early once this region answers. */
  readonly expect?: string;
  /** @default 4 */
  readonly attempts?: number;
  /** @default 5000 */
  readonly timeoutMs?: number;
  /** First pause between attempts, doubled each time. @default 2000 */
  readonly delayMs?: number;
}

/** GETs `url` until it answers from `expect` (or, without it, answers at all), a bounded number of times. */
export async function probeRegion(url: string, o: ProbeOptions): Promise<RegionProbe> {
  const attempts = o.attempts ?? 4;
  let delay = o.delayMs ?? 2_000;
  let last: RegionProbe = { url, attempts: 0 };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const answer = await o.get(url, o.timeoutMs ?? 5_000);
      last = { url, status: answer.status, region: answer.headers[REGION_HEADER], attempts: attempt };
      if (o.expect === undefined ? last.region !== undefined : last.region === o.expect) return last;
    } catch (error) {
      const e = error as { code?: string; cause?: { code?: string }; name?: string; message?: string };
      last = { url, error: e.cause?.code ?? e.code ?? e.name ?? String(error), attempts: attempt };
    }
    if (attempt < attempts) {
      await o.clock.sleep(delay);
      delay *= 2;
    }
  }
  return last;
}

/** `https://host/v1`: from the region us-east-2 (HTTP 401) | without naming a region (HTTP 502) | no answer (ENOTFOUND). */
export function describeProbe(p: RegionProbe): string {
  if (p.error !== undefined) return `${p.url}: no answer (${p.error}) after ${p.attempts} attempt(s)`;
  return p.region !== undefined
    ? `${p.url}: ${p.region} answered (HTTP ${p.status})`
    : `${p.url}: answered HTTP ${p.status} without ${REGION_HEADER}`;
}
