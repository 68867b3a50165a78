// The game day's Markdown summary (gameday-summary.md next to the JSON report and the chart), and the
// lines printed at the end of a run.
import type { GameDayReport } from './report';

const value = (v: number | null, unit = ' s') => (v === null ? 'unknown' : `${v}${unit}`);

function outage(o: GameDayReport['outages']['write']): string {
  if (o.failures === 0) return '0 s (no failed request)';
  const qualifiers = [
    o.recovered ? '' : 'never recovered: counted to the end of the traffic',
    o.failedFromStart ? 'failing from the start' : '',
  ]
    .filter(Boolean)
    .join('; ');
  return `${o.seconds} s (${o.failures} failed${qualifiers ? `; ${qualifiers}` : ''})`;
}

/** The numbers, one line each: what the CLI prints and what the summary's table holds. */
export function numbers(report: GameDayReport): [string, string][] {
  const rpo = report.rpo.window;
  const lag = report.replicationLagAtKill;
  const rows: [string, string][] = [
    ['acknowledged writes', String(report.acknowledgedWrites)],
    [
      'lost / changed writes (RPO)',
      `${report.lostWrites} / ${report.changedWrites}${rpo ? `, acknowledged ${rpo.from} → ${rpo.to} (${rpo.seconds} s)` : ''}`,
    ],
    ['write outage', outage(report.outages.write)],
    ['read outage', outage(report.outages.read)],
    [
      'failover start → first success in the new region (RTO)',
      report.rto.newRegion
        ? `${value(report.rtoSeconds)} (${report.rto.newRegion}; first read ${value(report.rto.toFirstReadSeconds)})`
        : value(report.rtoSeconds),
    ],
    ['latency p50 / p99', `${value(report.latency.p50, ' ms')} / ${value(report.latency.p99, ' ms')}`],
    ['requests', `${report.traffic.requests} (${report.traffic.ok} ok, ${report.traffic.failed} failed)`],
    ['answering regions', report.regions.join(', ') || 'none'],
  ];
  if (lag)
    rows.push([
      'writes inside the replication lag at the kill',
      `${lag.writesInLag} (${lag.transactionsBehind} transactions behind + ` +
        `${lag.acknowledgedAfterSample} acknowledged after the last sample)`,
    ]);
  if (report.unverifiedWrites > 0) rows.push(['writes that could not be read back', String(report.unverifiedWrites)]);
  if (report.rpo.unacknowledgedApplied > 0) rows.push(['unanswered updates that were applied', String(report.rpo.unacknowledgedApplied)]);
  return rows;
}

export function targetLines(report: GameDayReport): string[] {
  return report.targets.map((t) => `${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.actual} (target ${t.limit})`);
}

export function markdownSummary(report: GameDayReport, chartFile: string, zoomFile?: string): string {
  const t = report.traffic;
  const lines = [
    `# Game day: ${report.scenario}`,
    '',
    `${report.startedAt} → ${report.endedAt}, ${report.durationSeconds} s of traffic ` +
      `through ${report.target.edgeUrl} (${report.target.kind}): ` +
      `${t.writers} writers and ${t.readers} readers at up to ${t.ratePerClient} requests/s each, ${t.timeoutMs} ms timeout per request.`,
    '',
    `![requests per 100 ms per answering region, with the failover's steps](${chartFile})`,
    '',
    ...(zoomFile ? [`![the same, around the failover](${zoomFile})`, ''] : []),
    '| Measure | Value |',
    '|---|---|',
    ...numbers(report).map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`),
    '',
  ];
  if (report.targets.length > 0) {
    lines.push('## Targets', '', '| Target | Limit | Measured | |', '|---|---|---|---|');
    for (const target of report.targets)
      lines.push(`| ${target.name} | ${target.limit} | ${target.actual} | ${target.pass ? 'pass' : '**FAIL**'} |`);
    lines.push('');
  }
  if (report.failover) {
    const f = report.failover;
    lines.push(`## Failover program: ${f.mode} ${f.from ?? '?'} → ${f.to ?? '?'}, ${f.outcome ?? '?'} in ${value(f.totalSeconds)}`, '');
    lines.push('| Step | Started | Seconds |', '|---|---|---|');
    for (const s of f.steps) lines.push(`| ${s.name} | ${s.startedAt} | ${value(s.seconds, '')} |`);
    lines.push('');
  }
  const others = report.markers.filter((m) => m.source !== 'failover');
  if (others.length > 0) {
    lines.push('## Other markers', '', '| t (s) | Marker |', '|---|---|');
    for (const m of others) lines.push(`| ${m.t} | ${m.label} |`);
    lines.push('');
  }
  const bad = [...report.rpo.lost.map((w) => ['lost', w] as const), ...report.rpo.changed.map((w) => ['changed', w] as const)];
  if (bad.length > 0) {
    lines.push('## Lost and changed writes (first 50 of each)', '', '| | id | acknowledged | by | why |', '|---|---|---|---|---|');
    for (const [kind, w] of bad)
      lines.push(`| ${kind} | ${w.id} | ${w.acknowledgedAt} | ${w.region} | ${w.reason.replace(/\|/g, '\\|')} |`);
    lines.push('');
  }
  if (report.notes.length > 0) lines.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  lines.push(
    'RPO: acknowledged writes that read back missing (lost) or with other content (changed). Write and read outage: from the last ' +
      'success before the first failure to the first success after the last failure, as the clients saw it. RTO: from the start ' +
      'of the failover to the first successful write answered by the new region.',
    '',
  );
  return lines.join('\n');
}
