// The three local game days on one shared rehearsal, a few seconds of traffic each, in the order they
// leave the system for the next: failover (pri killed, secd promoted, pri revived as its replica) →
// failback (planned, secd → pri) → switchover (planned, pri → secd); then the remote mode against the
// local edge and token endpoint (the same HTTP client as against CloudFront and Cognito) while an
// "operator" fails back. The failover game day drives the rehearsal through its CLI (--use-running).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runGameDay, type GameDayOptions, type GameDayResult } from '../../util/gameday/gameday';
import { attachRehearsal, useRunningRehearsal, type LocalRehearsal } from '../../util/gameday/local-rehearsal';
import type { LocalScenario } from '../../util/gameday/scenario';
import { readTopology } from '../../util/local/topology';
import { statePaths } from '../../util/local/state';
import { startTestRehearsal, type TestRehearsal } from '../local/harness';

jest.setTimeout(120_000);

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
let t: TestRehearsal;
let outRoot: string;
let pri: string;
let secd: string;

beforeAll(async () => {
  t = await startTestRehearsal();
  outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-test-'));
  [pri, secd] = [t.config.regions.pri, t.config.regions.secd];
}, 120_000);

afterAll(async () => {
  await t?.stop();
  if (outRoot) fs.rmSync(outRoot, { recursive: true, force: true });
}, 60_000);

const lines: string[] = [];
function options(target: GameDayOptions['target'], name: string): GameDayOptions {
  return {
    target,
    durationSeconds: 3,
    leadInSeconds: 1,
    writers: 2,
    readers: 2,
    ratePerClient: 20,
    timeoutMs: 2000,
    outDir: path.join(outRoot, name),
    print: (line) => lines.push(line),
  };
}
const local = (rehearsal: LocalRehearsal, scenario: LocalScenario) => options({ kind: 'local', rehearsal, scenario }, scenario);

/** What every report must hold, whatever the scenario. */
function expectConsistent({ report, files }: GameDayResult): void {
  for (const field of [
    'scenario',
    'startedAt',
    'durationSeconds',
    'acknowledgedWrites',
    'lostWrites',
    'changedWrites',
    'rtoSeconds',
    'writeErrorWindowSeconds',
    'readErrorWindowSeconds',
    'regions',
    'latency',
  ]) {
    expect(report).toHaveProperty(field);
  }
  expect(report.latency.p50).toBeGreaterThan(0);
  expect(report.latency.p99).toBeGreaterThanOrEqual(report.latency.p50!);
  expect(report.durationSeconds).toBeGreaterThanOrEqual(3);
  expect(report.traffic.ok + report.traffic.failed).toBe(report.traffic.requests);
  expect(Object.values(report.byRegion).reduce((n, c) => n + c.ok + c.failed, 0)).toBe(report.traffic.requests);
  expect(report.lostWrites).toBe(report.rpo.lost.length);
  expect(report.changedWrites).toBe(report.rpo.changed.length);
  expect(report.unverifiedWrites).toBe(0);
  expect(report.passed).toBe(report.targets.every((x) => x.pass));

  expect(JSON.parse(fs.readFileSync(files.report, 'utf8'))).toEqual(report);
  const writes = JSON.parse(fs.readFileSync(files.writes, 'utf8')) as { id: number; task: string }[];
  expect(writes).toHaveLength(report.acknowledgedWrites);
  expect(writes.every((w) => w.id > 0 && w.task.startsWith('gd-'))).toBe(true);
  expect(fs.readFileSync(files.requests, 'utf8').trim().split('\n')).toHaveLength(report.traffic.requests);
  expect(fs.readFileSync(files.chartPng).subarray(0, 8)).toEqual(PNG_SIGNATURE);
  expect(fs.readFileSync(files.chartSvg, 'utf8')).toMatch(/^<svg /);
  const summary = fs.readFileSync(files.summary, 'utf8');
  expect(summary).toContain(`# Game day: ${report.scenario}`);
  expect(summary).toContain('](gameday-chart.png)');
}

const labels = (r: GameDayResult) => r.report.markers.map((m) => m.label);

test('failover: pri killed under traffic, secd promoted; loss within the replication lag at the kill; pri back as replica', async () => {
  const result = await runGameDay(local(useRunningRehearsal(t.config.stateDir), 'failover'));
  const { report } = result;
  expectConsistent(result);
  expect(report.scenario).toBe('failover');
  expect(report.regions).toEqual([pri, secd]);
  expect(labels(result)).toEqual(
    expect.arrayContaining(['kill-region pri', 'discover', 'promote', 'traffic', 'verify', 'failover completed']),
  );
  expect(report.failover).toMatchObject({ mode: 'failover', from: pri, to: secd, outcome: 'completed' });
  expect(report.replicationLagAtKill).not.toBeNull();
  expect(report.lostWrites + report.changedWrites).toBeLessThanOrEqual(report.replicationLagAtKill!.writesInLag);
  expect(report.rto.newRegion).toBe(secd);
  expect(report.rtoSeconds).toBeGreaterThan(0);
  expect(report.outages.write.failures).toBeGreaterThan(0); // the edge answered 502 while pri was dead
  expect(report.targets.map((x) => x.name)).toEqual([
    'the failover program completed',
    'acknowledged writes lost or changed',
    'writes succeed in the new region',
  ]);
  // Not a rehearsal of its own: the rows it wrote were deleted after the read-back.
  expect(report.notes.join('\n')).toMatch(/deleted the \d+ rows/);
  expect(await t.sql('secd', 'SELECT COUNT(*) AS n FROM ToDos WHERE Task LIKE ?', ['gd-%'])).toEqual([{ n: 0 }]);
  // The end state a failback starts from.
  expect(readTopology(statePaths(t.config.stateDir).topology)?.writer).toBe('secd');
  expect((await t.sql('pri', 'SELECT @@GLOBAL.read_only AS ro'))[0]).toEqual({ ro: 1 });
});

test('failback: the planned way back secd → pri loses nothing', async () => {
  const result = await runGameDay(local(attachRehearsal(t.rehearsal, t.config.stateDir), 'failback'));
  const { report } = result;
  expectConsistent(result);
  expect(report.regions).toEqual([secd, pri]);
  expect(report.failover).toMatchObject({ mode: 'switchover', from: secd, to: pri, outcome: 'completed' });
  expect(report.lostWrites + report.changedWrites).toBe(0);
  expect(report.notes.join('\n')).not.toMatch(/setup before the traffic/);
  expect(report.acknowledgedWrites).toBeGreaterThan(20);
});

test('switchover: pri → secd under traffic, zero acknowledged writes lost or changed, no failed read', async () => {
  const result = await runGameDay(local(attachRehearsal(t.rehearsal, t.config.stateDir), 'switchover'));
  const { report } = result;
  expectConsistent(result);
  expect(report.regions).toEqual([pri, secd]);
  expect(report.lostWrites).toBe(0);
  expect(report.changedWrites).toBe(0);
  expect(report.outages.read.failures).toBe(0);
  expect(labels(result)).toEqual(
    expect.arrayContaining(['discover', 'measure replication lag', 'promote', 'traffic', 'switchover completed']),
  );
  expect(report.targets.map((x) => [x.name, x.limit])).toEqual([
    ['the failover program completed', 'outcome completed'],
    ['acknowledged writes lost or changed', '0'],
    ['write outage', '≤ 1 s'],
    ['read outage', '0 s (no failed read)'],
  ]);
  // The rehearsal belongs to the test, not to the game day: its rows are cleaned up too.
  expect(await t.sql('secd', 'SELECT COUNT(*) AS n FROM ToDos WHERE Task LIKE ?', ['gd-%'])).toEqual([{ n: 0 }]);
});

test('remote mode, against the local edge and token endpoint: observes while an operator fails back', async () => {
  const e = t.endpoints;
  const run = runGameDay(
    options(
      { kind: 'remote', edgeUrl: e.edgeUrl, tokenUrl: e.tokenUrl, clientId: e.clientId, clientSecret: e.clientSecret, pipelines: [] },
      'remote',
    ),
  );
  await new Promise((r) => setTimeout(r, 1200));
  const operator = await t.failover('switchover', 'pri');
  const result = await run;
  const { report } = result;
  expectConsistent(result);
  expect(operator.outcome).toBe('completed');
  expect(report.scenario).toBe('observe');
  expect(report.target.kind).toBe('remote');
  expect(report.regions).toEqual([secd, pri]);
  expect(report.targets).toEqual([]);
  expect(report.rtoSeconds).toBeNull(); // no pipeline polled, no failover report given
  expect(report.rto.newRegion).toBe(pri);
  expect(report.lostWrites + report.changedWrites).toBe(0);
});

test('the CLI refuses bad usage with exit 2 and says what to do', () => {
  const cli = path.join(__dirname, '..', '..', 'util', 'gameday', 'cli.ts');
  const res = spawnSync(
    process.execPath,
    ['-r', require.resolve('ts-node/register/transpile-only'), cli, '--local', '--scenario', 'chaos'],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  expect(res.status).toBe(2);
  expect(res.stderr).toMatch(/unknown --scenario 'chaos': use switchover, failover, failback/);
  expect(res.stderr).toMatch(/Usage:/);
});
