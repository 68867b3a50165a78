// What a run prints besides its step lines: the plan before anything changes, and the timeline after.
import type { Check } from './checks';
import type { FailoverDriver, Move, Topology, TrafficMethod } from './driver';
import { trafficRole, writerOf } from './plan';
import type { FailoverReport } from './report';
import { describeProgress, type LostWrites } from './run-record';

export function describeTopology(t: Topology): string {
  const writer = writerOf(t);
  const serving = trafficRole(t);
  const region = (role: 'pri' | 'secd' | undefined) => (role ? t.regions[role].region : 'unknown');
  const record = t.runRecord ? `; last run: ${t.runRecord.mode} to ${t.regions[t.runRecord.to].region} ${t.runRecord.state}` : '';
  return `writer ${region(writer)}, traffic ${region(serving)}${t.pendingOperation ? `, ${t.pendingOperation}` : ''}${record}`;
}

export function printPlan(
  print: (l: string) => void,
  driver: FailoverDriver,
  move: Move,
  why: string,
  checks: readonly Check[],
  cautions: readonly string[],
  lost: LostWrites | undefined,
  traffic: TrafficMethod = 'kvs',
): void {
  const { topology: t } = move;
  const planes = driver.describePlanes?.(move, traffic) ?? {};
  const via = (step: keyof typeof planes) => (planes[step] ? `  [${planes[step]}]` : '');
  const from = t.regions[move.from];
  const to = t.regions[move.to];
  const reg = (v: typeof from) =>
    `${v.region} (${v.role}${v.reachable ? '' : v.health ? ', only asked whether it is healthy' : ', not contacted or not answering'})`;
  print('');
  print(`Plan (${driver.name} driver): ${move.mode} from ${reg(from)} to ${reg(to)}; ${why}`);
  print(`  global cluster ${t.globalClusterId}${t.pendingOperation ? `, in progress: ${t.pendingOperation}` : ''}`);
  const r = t.runRecord;
  if (r) {
    const state = r.state === 'completed' || r.state === 'refused' ? r.state : describeProgress(r);
    print(`  last run on record: ${r.mode} ${t.regions[r.from].region} → ${t.regions[r.to].region} of ${r.startedAt}, ${state}`);
  }
  print(
    `  1. promote  ${to.clusterId}: ${to.isWriter === true ? 'already the writer' : driver.describePromotion(move.mode)}${via('promote')}`,
  );
  print(`  2. proxy    ${to.proxyName ?? '?'} → ${to.clusterId}${via('proxy')}`);
  const already = t.traffic?.domainName === to.apiOriginDomain ? ' (already)' : '';
  const origin = `${t.edgeId} origin ${t.traffic?.originId ?? '?'}`;
  const change = `${t.traffic?.domainName ?? '?'} → ${to.apiOriginDomain ?? '?'}${already}`;
  print(`  3. traffic  --traffic ${traffic}, ${origin}: ${change}${via('traffic')}`);
  print(`  4. tokens   make sure ${to.region} hands out tokens clients can use${via('tokens')}`);
  print(`  5. verify   read everything back; ask ${to.region}'s API and ${t.edgeUrl ?? 'the edge'} which region answers`);
  if (lost)
    print(`  6. keep     the writes ${t.regions[lost.from].region} did not replicate: a lasting copy of what it held, once it answers`);
  print('Preflight:');
  for (const c of checks) print(`  ${c.ok ? (c.forced ? 'FORCED' : 'ok    ') : 'FAIL  '} ${c.name}: ${c.detail}`);
  for (const w of cautions) print(`WARNING: ${w}`);
  print('');
}

export function printTimeline(print: (l: string) => void, report: FailoverReport): void {
  print('Timeline:');
  for (const s of report.steps) {
    print(`  ${s.name.padEnd(24)} ${String(s.seconds ?? '?').padStart(7)} s${s.alreadyInPlace ? '  (already in place)' : ''}`);
  }
}
