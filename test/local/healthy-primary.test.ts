// `--mode failover` against a healthy, reachable primary: refused (a switchover loses nothing), and with
// --force the old primary is fenced before the target opens, so under concurrent writes through the edge
// and straight to the primary's API no acknowledged write is lost or overwritten, and the two databases
// are never writable at the same time. One rehearsal, one forced failover.
import { realClock } from '#failover/clock';
import type { FailoverReport } from '#failover/report';
import { runFailover } from '#failover/run';
import { createLocalDriver } from '../../util/local/failover-driver';
import { statePaths } from '../../util/local/state';
import { readTopology } from '../../util/local/topology';
import { startTestRehearsal, type TestRehearsal } from './harness';

jest.setTimeout(90_000);

let t: TestRehearsal;
let token: string;

beforeAll(async () => {
  t = await startTestRehearsal();
  token = await t.token();
}, 120_000);

afterAll(async () => {
  await t?.stop();
}, 60_000);

async function failover(force: boolean): Promise<{ report: FailoverReport; output: string }> {
  const lines: string[] = [];
  const report = await runFailover(await createLocalDriver({ stateDir: t.config.stateDir }), {
    mode: 'failover',
    dryRun: false,
    yes: true,
    force,
    wait: true,
    traffic: 'kvs',
    confirm: () => Promise.resolve(false),
    print: (line) => lines.push(line),
    clock: realClock,
  });
  return { report, output: lines.join('\n') };
}

const readOnly = async (role: 'pri' | 'secd') => Number((await t.sql<{ ro: number }>(role, 'SELECT @@GLOBAL.read_only AS ro'))[0].ro) === 1;

test('a healthy primary: refused without --force; forced, zero acknowledged writes lost or overwritten, never two writers', async () => {
  const refused = await failover(false);
  expect(refused.report.outcome).toBe('refused');
  expect(refused.report.error).toMatch(/old primary is down: us-east-1 answered .* is healthy .*Use --mode switchover/);
  expect(await readOnly('pri')).toBe(false);
  expect(await readOnly('secd')).toBe(true);
  expect(readTopology(statePaths(t.config.stateDir).topology)).toMatchObject({ writer: 'pri', generation: 1 });

  const acknowledged = new Map<number, string>();
  const reused: number[] = [];
  const refusedStatuses = new Set<number>();
  let writing = true;
  const writer = (url: string, name: string) => async () => {
    for (let i = 0; writing && i < 150; i++) {
      const task = `${name} ${i}`;
      const res = await t.api(`${url}/v1`, { method: 'POST', token, body: { task, status: 'wip' } }).catch(() => undefined);
      if (res?.status === 201) {
        // An id given out twice means one acknowledged write was overwritten by another.
        if (acknowledged.has(res.json.response.id)) reused.push(res.json.response.id);
        acknowledged.set(res.json.response.id, task);
      } else refusedStatuses.add(res?.status ?? 0);
    }
  };
  // Both databases writable at once: pri writable before and after a moment secd was writable.
  let bothWritable = 0;
  const watch = async () => {
    while (writing) {
      const before = !(await readOnly('pri'));
      const secd = !(await readOnly('secd'));
      const after = !(await readOnly('pri'));
      if (before && secd && after) bothWritable++;
    }
  };
  const load = [
    writer(t.endpoints.edgeUrl, 'edge-a'),
    writer(t.endpoints.edgeUrl, 'edge-b'),
    writer(t.endpoints.regions.pri.apiUrl, 'direct-a'),
    writer(t.endpoints.regions.pri.apiUrl, 'direct-b'),
  ].map((w) => w());
  const watcher = watch();
  await new Promise((r) => setTimeout(r, 400));
  const forced = await failover(true);
  await new Promise((r) => setTimeout(r, 300));
  writing = false;
  await Promise.all([...load, watcher]);

  expect(forced.report.outcome).toBe('completed');
  expect(forced.report.preflight.find((c) => c.name === 'old primary is down')).toMatchObject({ forced: true });
  expect({ bothWritable, reused }).toEqual({ bothWritable: 0, reused: [] });
  expect(forced.output).toMatch(/us-east-1 answers: fencing it before us-east-2 opens for writes/);
  expect(acknowledged.size).toBeGreaterThan(20);
  // Writes that met the switch were refused as read-only (503) or by the edge, never acknowledged and lost.
  expect([...refusedStatuses].filter((s) => s !== 503)).toEqual([]);

  // Every acknowledged write, read back by id through the edge (now us-east-2), has its own content.
  const ids = [...acknowledged.keys()];
  const wrong: string[] = [];
  for (let i = 0; i < ids.length; i += 8) {
    await Promise.all(
      ids.slice(i, i + 8).map(async (id) => {
        const res = await t.api(`${t.endpoints.edgeUrl}/v1?id=${id}`, { token });
        if (res.status !== 200 || res.region !== t.config.regions.secd || res.json.response.task !== acknowledged.get(id)) {
          wrong.push(`${id}: ${res.status} ${res.region} ${JSON.stringify(res.json)}`);
        }
      }),
    );
  }
  expect(wrong).toEqual([]);
  // The old primary was fenced and rejoined as a replica of the new one: nothing it held was lost.
  expect(await readOnly('pri')).toBe(true);
  expect(forced.report.lostWrites?.kept).toMatch(/^nothing: us-east-1 rejoined as a replica without diverging$/);
  expect(readTopology(statePaths(t.config.stateDir).topology)).toMatchObject({ writer: 'secd', generation: 2 });
});
