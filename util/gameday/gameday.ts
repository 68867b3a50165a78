// One game day, start to end: token → (local: set up the scenario's starting state) → seed rows → traffic
// → (local: the scenario's action; AWS: observe, optionally polling the failover pipeline) → the rest of the
// duration → stop → read every acknowledged write back → report, summary and chart in the output dir.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FailoverReport } from '#failover/report';
import { OAUTH_SCOPE } from '#routes';
import { actionWindow, BIN_MS, chartSpec, renderChart } from './chart';
import { GtidSampler, lagAtKill } from './lag';
import type { LocalRehearsal } from './local-rehearsal';
import { markdownSummary, numbers, targetLines } from './markdown';
import { FAILOVER_STAGE, PipelinePoller, type PolledPipeline } from './pipeline';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { now, Recorder, statusLine, type Marker } from './recorder';
import { buildReport, type GameDayReport, type LagAtKill } from './report';
import { binRequests } from './timeline';
import { failoverMarkers, finishScenario, prepareScenario, runAction, SCENARIOS, type LocalScenario } from './scenario';
import { apiUrlOf, fetchToken, Traffic, writeSeeds, type ApiTarget } from './traffic';
import { classify, deleteRunRows, readBackIds } from './verifier';

export interface LocalGameDay {
  readonly kind: 'local';
  readonly rehearsal: LocalRehearsal;
  readonly scenario: LocalScenario;
}

export interface RemoteGameDay {
  readonly kind: 'remote';
  /** The CloudFront URL (with or without /v1). */
  readonly edgeUrl: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly pipelines: readonly PolledPipeline[];
  /** A failover program's report (e.g. copied from the report bucket): its steps become markers. */
  readonly failoverReport?: FailoverReport;
  /** Tests inject a mocked client. */
  readonly pipelineClient?: (region: string) => CodePipelineClient;
  readonly pollIntervalMs?: number;
}

export interface GameDayOptions {
  readonly target: LocalGameDay | RemoteGameDay;
  readonly durationSeconds: number;
  /** Seconds of traffic before the scenario's action. @default a quarter of the duration, at most 5 s */
  readonly leadInSeconds?: number;
  readonly writers: number;
  readonly readers: number;
  readonly ratePerClient: number;
  readonly timeoutMs: number;
  readonly outDir: string;
  readonly print: (line: string) => void;
  /** The live status: rewritten in place on a terminal, a plain line every `statusEveryMs` otherwise. @default 'none' */
  readonly status?: 'tty' | 'lines' | 'none';
  /** @default 5000 */
  readonly statusEveryMs?: number;
  /** Leave the game day's rows in a deployment that outlives it. @default false (they are deleted after the read-back) */
  readonly keepData?: boolean;
  /** Aborting ends the traffic early; the verification and the report still happen. */
  readonly signal?: AbortSignal;
}

export interface GameDayFiles {
  readonly report: string;
  readonly summary: string;
  readonly chartSvg: string;
  readonly chartPng: string;
  /** The close-up of the failover (also as .svg), when it is a small part of the run. */
  readonly zoomPng?: string;
  readonly writes: string;
  readonly requests: string;
  readonly failoverReport?: string;
  readonly failoverLog?: string;
}

export interface GameDayResult {
  readonly report: GameDayReport;
  readonly files: GameDayFiles;
}

const SEED_ROWS = 10;
/** Traffic keeps going at least this long after the scenario's action ended, so that recovery is seen. */
const TAIL_MS = 1000;

export async function runGameDay(o: GameDayOptions): Promise<GameDayResult> {
  const { print, target } = o;
  const runPrefix = `gd-${Date.now().toString(36)}`;
  fs.mkdirSync(o.outDir, { recursive: true });
  const notes: string[] = [];
  const markers: Marker[] = [];
  const failoverLines: string[] = [];
  // Until the traffic starts there is no live status: lines are printed as they come.
  let status: StatusHandle = { interrupt: print, stop: () => undefined };
  let trafficStart = now();
  const say = (line: string) => status.interrupt(line);
  const mark = (m: Marker) => {
    markers.push(m);
    say(`[${((m.at - trafficStart) / 1000).toFixed(1).padStart(5)}s] ${m.label}`);
  };

  // ---- before the traffic: the starting state, then the token the clients keep ----
  let edgeUrl: string;
  let tokenUrl: string;
  let credentials: { id: string; secret: string };
  if (target.kind === 'local') {
    print(`scenario ${target.scenario}: ${SCENARIOS[target.scenario].description}`);
    notes.push(...(await prepareScenario(target.rehearsal, target.scenario, print)).map((s) => `setup before the traffic: ${s}`));
    const e = target.rehearsal.endpoints();
    [edgeUrl, tokenUrl, credentials] = [e.edgeUrl, e.tokenUrl, { id: e.clientId, secret: e.clientSecret }];
  } else {
    [edgeUrl, tokenUrl, credentials] = [target.edgeUrl, target.tokenUrl, { id: target.clientId, secret: target.clientSecret }];
  }
  const token = await fetchToken(tokenUrl, credentials.id, credentials.secret, OAUTH_SCOPE);
  const leadIn = o.leadInSeconds ?? Math.min(5, o.durationSeconds / 4);
  if (token.expiresInSeconds < o.durationSeconds + 60) {
    throw new Error(
      `the access token lives ${token.expiresInSeconds} s, less than the game day's ${o.durationSeconds} s plus a minute: ` +
        'shorten --duration (the clients keep the token they start with, as clients in an outage would)',
    );
  }
  const api: ApiTarget = { apiUrl: apiUrlOf(edgeUrl), token: token.accessToken };

  let poller: PipelinePoller | undefined;
  if (target.kind === 'remote' && target.pipelines.length > 0) {
    poller = new PipelinePoller({
      pipelines: target.pipelines,
      sinceMs: Date.now(),
      intervalMs: target.pollIntervalMs,
      client: target.pipelineClient,
      onMarker: (m) => mark(m),
      onError: (message) => {
        notes.push(message);
        say(`warning: ${message}`);
      },
    });
    await poller.check();
    print(`polling ${target.pipelines.map((p) => `${p.name} (${p.region})`).join(', ')} every ${(target.pollIntervalMs ?? 5000) / 1000} s`);
  }

  const seeds = await writeSeeds(api, runPrefix, SEED_ROWS, o.timeoutMs);
  const sampler = target.kind === 'local' ? new GtidSampler(target.rehearsal.stateDir, () => target.rehearsal.endpoints()) : undefined;
  if (sampler) {
    sampler.start();
    // The readers' rows must be on the replica before anything is killed: they are not what is measured.
    await sampler.waitCaughtUp(15_000).catch(async (error: unknown) => {
      await sampler.stop();
      throw error;
    });
  }

  // ---- the traffic ----
  const recorder = new Recorder();
  for (const s of seeds) recorder.ack(s);
  const traffic = new Traffic({
    api,
    recorder,
    writers: o.writers,
    readers: o.readers,
    ratePerClient: o.ratePerClient,
    timeoutMs: o.timeoutMs,
    runPrefix,
    seeds,
  });
  trafficStart = now();
  traffic.start();
  let phase = target.kind === 'local' ? 'lead-in' : 'observing';
  status = startStatus(o, () => statusLine(recorder, trafficStart, now(), o.durationSeconds, phase));
  print(
    `traffic: ${o.writers} writers, ${o.readers} readers, up to ${o.ratePerClient} requests/s each, ` +
      `${o.timeoutMs} ms timeout, ${o.durationSeconds} s through ${api.apiUrl}`,
  );
  poller?.start();

  let failover: FailoverReport | undefined = target.kind === 'remote' ? target.failoverReport : undefined;
  let killedAt: number | undefined;
  let actionError: string | undefined;
  let actionEnd = trafficStart;
  if (target.kind === 'local') {
    await sleepUntil(trafficStart + leadIn * 1000, o.signal);
    if (!o.signal?.aborted) {
      phase = target.scenario;
      try {
        const result = await runAction(target.rehearsal, target.scenario, {
          mark,
          print: (line) => failoverLines.push(line),
        });
        failover = result.failover;
        killedAt = result.killedAt;
        if (failover.outcome !== 'completed') actionError = `the failover program ended ${failover.outcome}: ${failover.error ?? ''}`;
      } catch (error) {
        actionError = (error as Error).message;
      }
      if (actionError) say(`scenario ${target.scenario} FAILED: ${actionError}`);
      actionEnd = now();
      phase = 'after';
    }
  } else if (failover) {
    for (const m of failoverMarkers(failover)) markers.push(m);
  }
  await sleepUntil(Math.max(trafficStart + o.durationSeconds * 1000, actionEnd + TAIL_MS), o.signal);
  if (o.signal?.aborted) notes.push(`the traffic was stopped early (after ${((now() - trafficStart) / 1000).toFixed(1)} s)`);
  phase = 'stopping';
  await traffic.stop();
  const trafficEnd = now();
  status.stop();
  await poller?.stop();
  if (actionEnd > trafficStart + o.durationSeconds * 1000) {
    notes.push(`the traffic ran past --duration ${o.durationSeconds} s until ${TAIL_MS / 1000} s after the scenario's action ended`);
  }

  // ---- afterwards ----
  let lag: LagAtKill | undefined;
  if (sampler) {
    await sampler.stop();
    if (target.kind === 'local' && killedAt !== undefined) {
      const writer = SCENARIOS[target.scenario].startWriter;
      lag = lagAtKill(sampler.samples, writer, target.rehearsal.regionNames[writer], recorder.acked, killedAt);
      if (!lag) notes.push('the replication lag at the kill could not be measured: no GTID sample of both databases before it');
    }
  }
  if (target.kind === 'local' && !actionError) notes.push(...(await finishScenario(target.rehearsal, target.scenario)));

  print(`reading back ${new Set(recorder.acked.map((w) => w.id)).size} rows through the edge...`);
  const readBack = await readBackIds(
    api,
    recorder.acked.map((w) => w.id),
    { timeoutMs: Math.max(o.timeoutMs, 5000) },
  );
  const verification = classify(recorder.acked, recorder.ambiguous, readBack);
  const ownedData = target.kind === 'local' && target.rehearsal.ownedByGameDay;
  if (!ownedData && !o.keepData) {
    const cleaned = await deleteRunRows(api, readBack, runPrefix, Math.max(o.timeoutMs, 5000));
    notes.push(
      `deleted the ${cleaned.deleted} rows this game day wrote (tasks starting "${runPrefix}")` +
        (cleaned.failed.length ? `; could not delete ${cleaned.failed.length}: ${cleaned.failed.slice(0, 5).join(', ')}` : ''),
    );
  }

  const failoverStartedAtMs = markers.find((m) => m.source === 'pipeline' && m.label.startsWith(`${FAILOVER_STAGE}:`))?.at;
  const report = buildReport({
    scenario: target.kind === 'local' ? target.scenario : 'observe',
    target: { kind: target.kind, edgeUrl },
    trafficStartMs: trafficStart,
    trafficEndMs: trafficEnd,
    requestedDurationSeconds: o.durationSeconds,
    traffic: { writers: o.writers, readers: o.readers, ratePerClient: o.ratePerClient, timeoutMs: o.timeoutMs },
    requests: recorder.requests,
    acked: recorder.acked,
    verification,
    ...(failover ? { failover } : {}),
    ...(failoverStartedAtMs === undefined ? {} : { failoverStartedAtMs }),
    markers,
    ...(lag ? { lagAtKill: lag } : {}),
    ...(actionError ? { actionError } : {}),
    notes,
  });

  const files = await writeOutputs(o.outDir, report, recorder, trafficStart, failover, failoverLines);
  print('');
  for (const [k, v] of numbers(report)) print(`  ${k.padEnd(56)} ${v}`);
  if (report.targets.length > 0) {
    print('');
    for (const line of targetLines(report)) print(line);
  }
  for (const note of report.notes) print(`note: ${note}`);
  print('');
  print(`report: ${files.report}`);
  print(`summary: ${files.summary}`);
  print(`chart: ${files.chartPng} (and .svg)`);
  return { report, files };
}

async function writeOutputs(
  outDir: string,
  report: GameDayReport,
  recorder: Recorder,
  trafficStart: number,
  failover: FailoverReport | undefined,
  failoverLines: readonly string[],
): Promise<GameDayFiles> {
  const file = (name: string) => path.join(outDir, name);
  const iso = (ms: number) => new Date(ms).toISOString();
  const writes = recorder.acked.map((w) => ({
    id: w.id,
    op: w.op,
    task: w.task,
    status: w.status,
    acknowledgedAt: iso(w.ackAt),
    region: w.region,
    client: w.client,
    phase: w.phase,
  }));
  fs.writeFileSync(file('acknowledged-writes.json'), `${JSON.stringify(writes, null, 1)}\n`);
  fs.writeFileSync(
    file('requests.ndjson'),
    recorder.requests
      .map((r) => JSON.stringify({ ...r, t: Math.round(r.sentAt - trafficStart), ms: Math.round((r.doneAt - r.sentAt) * 10) / 10 }))
      .join('\n') + '\n',
  );
  let failoverFiles: Pick<GameDayFiles, 'failoverReport' | 'failoverLog'> = {};
  if (failover) {
    fs.writeFileSync(file('failover-report.json'), `${JSON.stringify(failover, null, 2)}\n`);
    failoverFiles = { failoverReport: file('failover-report.json') };
    if (failoverLines.length > 0) {
      fs.writeFileSync(file('failover.log'), `${failoverLines.join('\n')}\n`);
      failoverFiles = { ...failoverFiles, failoverLog: file('failover.log') };
    }
  }
  const bins = binRequests(recorder.requests, trafficStart, BIN_MS);
  const chart = await renderChart(chartSpec(report, bins), file('gameday-chart'));
  // A close-up of the failover itself when it is a small part of the run.
  const window = actionWindow(report);
  const zoom = window ? await renderChart(chartSpec(report, bins, window), file('gameday-chart-failover')) : undefined;
  fs.writeFileSync(file('gameday-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(file('gameday-summary.md'), markdownSummary(report, path.basename(chart.png), zoom && path.basename(zoom.png)));
  return {
    report: file('gameday-report.json'),
    summary: file('gameday-summary.md'),
    chartSvg: chart.svg,
    chartPng: chart.png,
    ...(zoom ? { zoomPng: zoom.png } : {}),
    writes: file('acknowledged-writes.json'),
    requests: file('requests.ndjson'),
    ...failoverFiles,
  };
}

function sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
  const wait = at - now();
  if (wait <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, wait);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

interface StatusHandle {
  /** Prints a line without garbling the live status. */
  interrupt(line: string): void;
  stop(): void;
}

function startStatus(o: GameDayOptions, line: () => string): StatusHandle {
  const mode = o.status ?? 'none';
  if (mode === 'none') return { interrupt: (l) => o.print(l), stop: () => undefined };
  if (mode === 'lines') {
    const timer = setInterval(() => o.print(line()), o.statusEveryMs ?? 5000);
    return {
      interrupt: (l) => o.print(l),
      stop: () => {
        clearInterval(timer);
        o.print(line());
      },
    };
  }
  // Cut to the terminal's width so that it stays one line (a pseudo-terminal may report 0 columns).
  const draw = () => process.stdout.write(`\r\x1b[2K${line().slice(0, (process.stdout.columns || 120) - 1)}`);
  const timer = setInterval(draw, 250);
  return {
    interrupt: (l) => {
      process.stdout.write('\r\x1b[2K');
      o.print(l);
      draw();
    },
    stop: () => {
      clearInterval(timer);
      draw();
      process.stdout.write('\n');
    },
  };
}
