// The game day's clients: a fixed number of writers and readers, each sending one request at a time
// through the edge (CloudFront, or the local edge) at a bounded rate, each request with its own timeout.
// They get their token once, before the scenario starts, and keep it, as real clients holding a token do:
// in a real outage the primary's Cognito may go down with its region.
import { API_BASE_PATH, REGION_HEADER } from '#routes';
import { EDGE_ONLY, NO_REGION, now, type AckedWrite, type Recorder, type WriteContent } from './recorder';

/** The API behind the edge and the token every request carries. */
export interface ApiTarget {
  /** `https://dxxxx.cloudfront.net/v1`, or the local edge's `http://127.0.0.1:8800/v1`. */
  readonly apiUrl: string;
  readonly token: string;
}

export interface ApiAnswer {
  /** undefined: no HTTP answer (timeout, connection refused). */
  readonly status?: number;
  readonly region: string;
  readonly todo?: { readonly id: number; readonly task: string; readonly status: string };
  readonly error?: string;
}

/** `https://host[/v1][/]` → `https://host/v1`. */
export function apiUrlOf(edgeUrl: string): string {
  const base = edgeUrl.replace(/\/+$/, '');
  return base.endsWith(API_BASE_PATH) ? base : `${base}${API_BASE_PATH}`;
}

/** One request through the edge; never throws. */
export async function apiCall(
  api: ApiTarget,
  method: 'GET' | 'POST' | 'DELETE',
  query: string,
  body: unknown,
  timeoutMs: number,
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { authorization: api.token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(`${api.apiUrl}${query}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const region = res.headers.get(REGION_HEADER) ?? EDGE_ONLY;
    const text = await res.text();
    let todo: ApiAnswer['todo'];
    try {
      const parsed = JSON.parse(text) as { status?: string; response?: { id?: unknown; task?: unknown; status?: unknown } };
      const r = parsed.response;
      if (parsed.status === 'ok' && r && typeof r.id === 'number' && typeof r.task === 'string' && typeof r.status === 'string') {
        todo = { id: r.id, task: r.task, status: r.status };
      }
    } catch {
      // Not JSON (an HTML error page from a proxy): the status code says enough.
    }
    const answer: ApiAnswer = { status: res.status, region, todo };
    return res.status >= 400 ? { ...answer, error: String(res.status) } : answer;
  } catch (error) {
    return { region: NO_REGION, error: failureName(error) };
  }
}

function failureName(error: unknown): string {
  const e = error as { name?: string; cause?: { code?: string }; code?: string; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
  return e.cause?.code ?? e.code ?? e.message ?? String(error);
}

export interface TokenAnswer {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
}

/**
 * OAuth2 client credentials at the token URL (Cognito's /oauth2/token: HTTP Basic with the app client id
 * and secret, form-encoded grant_type; https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html).
 */
export async function fetchToken(tokenUrl: string, clientId: string, clientSecret: string, scope?: string): Promise<TokenAnswer> {
  let res: Response;
  try {
    res = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `grant_type=client_credentials${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new Error(`the token endpoint ${tokenUrl} does not answer (${failureName(error)})`, { cause: error });
  }
  const text = await res.text();
  let body: { access_token?: string; expires_in?: number; error?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // reported below
  }
  if (res.status !== 200 || !body.access_token) {
    throw new Error(
      `the token endpoint ${tokenUrl} answered ${res.status}: ${body.error ?? text.slice(0, 200)} (check the client id and secret)`,
    );
  }
  return { accessToken: body.access_token, expiresInSeconds: Number(body.expires_in ?? 3600) };
}

export interface TrafficOptions {
  readonly api: ApiTarget;
  readonly recorder: Recorder;
  readonly writers: number;
  readonly readers: number;
  /** Requests per second per client, at most. */
  readonly ratePerClient: number;
  readonly timeoutMs: number;
  /** Every task this run writes starts with it (≤ 20 characters): the verifier and the clean-up know their rows. */
  readonly runPrefix: string;
  /** Rows the readers read (and check) in turn. */
  readonly seeds: readonly AckedWrite[];
  /** Every n-th write of a writer updates one of its own rows instead of creating one (0: never). */
  readonly updateEvery?: number;
}

/** The ToDo API caps task and status at 50 characters. */
const MAX_TEXT = 50;

export class Traffic {
  private stopped = false;
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly o: TrafficOptions) {
    if (o.seeds.length === 0 && o.readers > 0) throw new Error('readers need seed rows to read');
  }

  start(): void {
    for (let i = 1; i <= this.o.writers; i++) this.loops.push(this.writer(`w${i}`));
    for (let i = 1; i <= this.o.readers; i++) this.loops.push(this.reader(`r${i}`, i - 1));
  }

  /** Stops sending and waits for the requests in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async paced(body: () => Promise<void>): Promise<void> {
    const interval = 1000 / this.o.ratePerClient;
    let next = now();
    while (!this.stopped) {
      await body();
      // No catching up after a slow answer: the rate is a ceiling, never a burst.
      next = Math.max(next + interval, now());
      const wait = next - now();
      if (wait > 0 && !this.stopped) await new Promise((r) => setTimeout(r, wait));
    }
  }

  private writer(client: string): Promise<void> {
    const { recorder, runPrefix } = this.o;
    const updateEvery = this.o.updateEvery ?? 4;
    let n = 0;
    let lastRegion: string | undefined;
    // Rows this writer created, with the region that acknowledged them: an update goes only to a row
    // created in the region that answers now, never to an id an unplanned failover may have handed out again.
    const mine: { id: number; region: string }[] = [];
    return this.paced(async () => {
      n++;
      const candidates = mine.filter((row) => row.region === lastRegion);
      const target = updateEvery > 0 && n % updateEvery === 0 && candidates.length > 0 ? candidates[n % candidates.length] : undefined;
      const content: WriteContent = {
        task: `${runPrefix} ${client} ${target ? 'u' : 'c'}${n}`.slice(0, MAX_TEXT),
        status: target ? `done ${n}` : 'wip',
      };
      const sentAt = now();
      const answer = await apiCall(this.o.api, 'POST', '', target ? { id: String(target.id), ...content } : content, this.o.timeoutMs);
      const doneAt = now();
      const expected = target ? 200 : 201;
      const ok = answer.status === expected && answer.todo !== undefined && (!target || answer.todo.id === target.id);
      recorder.request({
        kind: 'write',
        client,
        sentAt,
        doneAt,
        ok,
        status: answer.status,
        region: answer.region,
        ...(ok ? {} : { error: answer.error ?? `unexpected answer ${answer.status}` }),
      });
      if (ok) {
        const id = answer.todo.id;
        recorder.ack({
          id,
          op: target ? 'update' : 'create',
          client,
          sentAt,
          ackAt: doneAt,
          region: answer.region,
          phase: 'traffic',
          ...content,
        });
        lastRegion = answer.region;
        if (!target) mine.push({ id, region: answer.region });
      } else if (target && (answer.status === undefined || answer.status >= 500)) {
        recorder.unsure({ id: target.id, client, sentAt, doneAt, error: answer.error ?? String(answer.status), ...content });
      }
    });
  }

  private reader(client: string, offset: number): Promise<void> {
    const seeds = this.o.seeds;
    let n = offset;
    return this.paced(async () => {
      const seed = seeds[n++ % seeds.length];
      const sentAt = now();
      const answer = await apiCall(this.o.api, 'GET', `?id=${seed.id}`, undefined, this.o.timeoutMs);
      const doneAt = now();
      const intact = answer.todo !== undefined && answer.todo.task === seed.task && answer.todo.status === seed.status;
      const ok = answer.status === 200 && intact;
      const error = ok ? undefined : answer.status === 200 ? 'wrong content' : (answer.error ?? String(answer.status));
      this.o.recorder.request({
        kind: 'read',
        client,
        sentAt,
        doneAt,
        ok,
        status: answer.status,
        region: answer.region,
        ...(error ? { error } : {}),
      });
    });
  }
}

/** Creates the rows the readers read; the system must take writes before the game day starts. */
export async function writeSeeds(api: ApiTarget, runPrefix: string, count: number, timeoutMs: number): Promise<AckedWrite[]> {
  const seeds: AckedWrite[] = [];
  for (let i = 1; i <= count; i++) {
    const content = { task: `${runPrefix} seed ${i}`, status: 'seed' };
    const sentAt = now();
    const answer = await apiCall(api, 'POST', '', content, timeoutMs);
    if (answer.status !== 201 || !answer.todo) {
      throw new Error(
        `the API does not take writes through ${api.apiUrl} before the game day (${answer.error ?? answer.status}): ` +
          'bring the system to a healthy state first',
      );
    }
    seeds.push({
      id: answer.todo.id,
      op: 'create',
      client: 'seed',
      sentAt,
      ackAt: now(),
      region: answer.region,
      phase: 'seed',
      ...content,
    });
  }
  return seeds;
}
