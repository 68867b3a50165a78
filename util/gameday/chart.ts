// The game day's chart: time on x, successful (top) and failed (bottom) requests per 100 ms per answering
// region, and the failover's steps as vertical markers. Built as a Vega-Lite spec and rendered to SVG and
// PNG by render-chart.mjs (Vega + resvg, no browser, no system packages).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { EDGE_ONLY, NOT_A_REGION } from './recorder';
import type { GameDayReport } from './report';
import type { Bin } from './timeline';

export const BIN_MS = 100;
const WIDTH = 900;
const PANEL_HEIGHT = 190;
/** Roughly what one character of a 10 px label takes; enough to keep labels from overlapping. */
const CHAR_PX = 6.5;
const LABEL_ROW_PX = 12;

const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#b279a2'];
const NOT_A_REGION_COLORS: Readonly<Record<string, string>> = { [EDGE_ONLY]: '#bab0ac', 'no answer': '#79706e' };

export interface ChartMarker {
  readonly t: number;
  readonly label: string;
}

interface PlacedMarker extends ChartMarker {
  /** Pixels from the top of the panel. */
  readonly y: number;
}

/** Stacks labels in rows so that none overlaps the one before it in its row; labels near the right edge go left of their line. */
export function placeLabels(markers: readonly ChartMarker[], seconds: number, start = 0): { left: PlacedMarker[]; right: PlacedMarker[] } {
  const pxPerSecond = WIDTH / Math.max(seconds, 0.1);
  const rowEnds: number[] = [];
  const left: PlacedMarker[] = [];
  const right: PlacedMarker[] = [];
  for (const m of [...markers].sort((a, b) => a.t - b.t)) {
    const x = (m.t - start) * pxPerSecond;
    const width = m.label.length * CHAR_PX + 6;
    const towardsLeft = x + width > WIDTH;
    const [from, to] = towardsLeft ? [x - width, x] : [x, x + width];
    let row = rowEnds.findIndex((end) => end < from);
    if (row < 0) row = rowEnds.push(0) - 1;
    rowEnds[row] = to;
    const placed = { ...m, y: 8 + row * LABEL_ROW_PX };
    (towardsLeft ? right : left).push(placed);
  }
  return { left, right };
}

/** Seconds from the traffic's start that a chart shows. */
export interface ChartWindow {
  readonly from: number;
  readonly to: number;
}

/**
 * The stretch around the markers (a second before the first, two after the last), for a second chart
 * that shows the failover itself; undefined when there are no markers or they already fill the chart.
 */
export function actionWindow(report: GameDayReport): ChartWindow | undefined {
  const times = report.markers.map((m) => m.t).filter((t) => t >= 0 && t <= report.durationSeconds);
  if (times.length === 0) return undefined;
  const window = {
    from: Math.max(0, Math.floor(Math.min(...times) - 1)),
    to: Math.min(report.durationSeconds, Math.ceil(Math.max(...times) + 2)),
  };
  return window.to - window.from < report.durationSeconds / 2 ? window : undefined;
}

export function chartSpec(report: GameDayReport, allBins: readonly Bin[], window?: ChartWindow): TopLevelSpec {
  const from = window?.from ?? 0;
  const to = window?.to ?? Math.max(report.durationSeconds, 0.1);
  const seconds = Math.max(to - from, 0.1);
  const bins = allBins.filter((b) => b.t >= from && b.t < to);
  // Regions in the order they first answered, then the labels that are not regions.
  const order = (r: string) => (NOT_A_REGION.includes(r) ? 1000 + NOT_A_REGION.indexOf(r) : report.regions.indexOf(r));
  const regions = [...new Set([...report.regions, ...bins.map((b) => b.region)])].sort((a, b) => order(a) - order(b));
  const colors = regions.map((r, i) => NOT_A_REGION_COLORS[r] ?? PALETTE[i % PALETTE.length]);
  const rows = bins.map((b) => ({ ...b, t1: Math.round((b.t + BIN_MS / 1000) * 1000) / 1000 }));
  const markers = report.markers.filter((m) => m.t >= from && m.t <= to).map((m) => ({ t: m.t, label: m.label }));
  const { left, right } = placeLabels(markers, seconds, from);
  const step = seconds <= 3 ? 0.5 : seconds <= 15 ? 1 : seconds <= 60 ? 5 : seconds <= 300 ? 30 : 60;
  const first = Math.ceil(from / step) * step;
  const ticks = Array.from({ length: Math.floor((to - first) / step) + 1 }, (_, i) => Math.round((first + i * step) * 10) / 10);
  const x = {
    field: 't',
    type: 'quantitative' as const,
    scale: { domain: [from, to], nice: false },
    axis: { values: ticks, format: step < 1 ? '.1f' : 'd' },
    title: null,
  };
  const color = {
    field: 'region',
    type: 'nominal' as const,
    scale: { domain: regions, range: colors },
    legend: { title: 'answering region', orient: 'top' as const, labelLimit: 400 },
  };
  const rules = {
    data: { values: markers },
    mark: { type: 'rule' as const, color: '#333', strokeDash: [4, 3], opacity: 0.8 },
    encoding: { x },
  };
  const labels = (values: PlacedMarker[], align: 'left' | 'right') => ({
    data: { values },
    mark: { type: 'text' as const, align, dx: align === 'left' ? 3 : -3, fontSize: 10, baseline: 'top' as const, color: '#222' },
    encoding: { x, y: { field: 'y', type: 'quantitative' as const, scale: null }, text: { field: 'label', type: 'nominal' as const } },
  });
  const panel = (outcome: 'ok' | 'failed', title: string, withLabels: boolean, axisTitle: string | null) => ({
    width: WIDTH,
    height: PANEL_HEIGHT,
    layer: [
      {
        data: { values: rows.filter((r) => r.outcome === outcome) },
        mark: { type: 'bar' as const, binSpacing: 0 },
        encoding: {
          // Already binned: each row is one 100 ms bin [t, t1).
          x: { ...x, bin: { binned: true, step: BIN_MS / 1000 }, title: axisTitle },
          x2: { field: 't1' },
          y: { field: 'count', type: 'quantitative' as const, stack: 'zero' as const, title },
          color,
        },
      },
      rules,
      ...(withLabels ? [labels(left, 'left'), labels(right, 'right')] : []),
    ],
  });
  const lost = report.lostWrites + report.changedWrites;
  // One line each: without a canvas Vega estimates text widths generously, and a long line would widen the image.
  const subtitle = [
    `${report.acknowledgedWrites} acknowledged writes, ${lost} lost or changed`,
    `write outage ${report.writeErrorWindowSeconds} s, read outage ${report.readErrorWindowSeconds} s`,
    report.rtoSeconds === null ? 'RTO unknown' : `first write in the new region ${report.rtoSeconds} s after the failover started`,
  ];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `ToDoMgmt game day: ${report.scenario} (${report.startedAt})${window ? `, seconds ${from} to ${to}` : ''}`,
      subtitle,
      anchor: 'start',
    },
    background: 'white',
    // The first installed of these renders the PNG (resvg picks from the system's fonts; it reads no quoted names).
    config: { font: 'Arial, Helvetica, Liberation Sans, DejaVu Sans, sans-serif', view: { stroke: '#ddd' }, axis: { gridColor: '#eee' } },
    vconcat: [
      panel('ok', `successful requests / ${BIN_MS} ms`, true, null),
      panel(
        'failed',
        `failed requests / ${BIN_MS} ms`,
        false,
        'seconds since the traffic started (requests placed by the time they were sent)',
      ),
    ],
    resolve: { scale: { color: 'shared' } },
  };
  return spec;
}

/** Renders the spec to `<base>.svg` and `<base>.png`; returns the two paths. */
export async function renderChart(spec: TopLevelSpec, base: string): Promise<{ svg: string; png: string }> {
  const files = { svg: `${base}.svg`, png: `${base}.png` };
  const child = spawn(process.execPath, [path.join(__dirname, 'render-chart.mjs'), files.svg, files.png], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  child.stdin.end(JSON.stringify(spec));
  const code = await exited;
  if (code !== 0) throw new Error(`rendering the chart failed (exit ${code}): ${stderr.trim().slice(0, 2000)}`);
  return files;
}
