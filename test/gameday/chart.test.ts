// The chart is rendered for real (Vega + resvg in a child process): a valid SVG and PNG, with the
// markers' labels, the regions in the legend, and labels that do not overlap.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { actionWindow, chartSpec, placeLabels, renderChart } from '../../util/gameday/chart';
import type { RequestRecord } from '../../util/gameday/recorder';
import { buildReport } from '../../util/gameday/report';
import { binRequests } from '../../util/gameday/timeline';

jest.setTimeout(30_000);

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('placeLabels: close markers go to separate rows; a label near the right edge goes left of its line', () => {
  const { left, right } = placeLabels(
    [
      { t: 1, label: 'promote' },
      { t: 1.01, label: 'proxy' },
      { t: 5, label: 'verify' },
      { t: 9.99, label: 'switchover completed' },
    ],
    10,
  );
  expect(left.map((m) => [m.label, m.y])).toEqual([
    ['promote', 8],
    ['proxy', 20],
    ['verify', 8],
  ]);
  expect(right.map((m) => m.label)).toEqual(['switchover completed']);
});

test('renders a synthetic failover to SVG and PNG', async () => {
  const start = Date.UTC(2026, 11, 1, 12);
  const requests: RequestRecord[] = [];
  for (let t = 0; t < 6000; t += 20) {
    const region = t < 2000 ? 'us-east-1' : t < 2600 ? 'no answer' : 'us-east-2';
    requests.push({ kind: 'write', client: 'w1', sentAt: start + t, doneAt: start + t + 4, ok: region !== 'no answer', region });
  }
  const report = buildReport({
    scenario: 'failover',
    target: { kind: 'local', edgeUrl: 'http://127.0.0.1:1' },
    trafficStartMs: start,
    trafficEndMs: start + 6000,
    requestedDurationSeconds: 6,
    traffic: { writers: 1, readers: 0, ratePerClient: 50, timeoutMs: 2000 },
    requests,
    acked: [],
    verification: { checked: 0, kept: 0, lost: [], changed: [], unverified: [], unacknowledgedApplied: 0 },
    markers: [
      { at: start + 1990, label: 'kill-region pri', source: 'scenario' },
      { at: start + 2100, label: 'promote', source: 'failover' },
      { at: start + 2550, label: 'traffic', source: 'failover' },
    ],
  });
  const spec = chartSpec(report, binRequests(requests, start));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-chart-'));
  try {
    const files = await renderChart(spec, path.join(dir, 'chart'));
    const svg = fs.readFileSync(files.svg, 'utf8');
    expect(svg).toMatch(/^<svg /);
    for (const text of ['kill-region pri', 'promote', 'traffic', 'us-east-1', 'us-east-2', 'no answer', 'failed requests / 100 ms']) {
      expect(svg).toContain(`>${text}</text>`);
    }
    const png = fs.readFileSync(files.png);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    // IHDR: width and height (2x zoom of the SVG's size).
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    expect(png.readUInt32BE(16)).toBe(width * 2);
    expect(width).toBeLessThan(1100);

    // The close-up: only that stretch, its markers, its own ticks.
    const zoomed = await renderChart(chartSpec(report, binRequests(requests, start), { from: 1, to: 4 }), path.join(dir, 'zoom'));
    const zoomSvg = fs.readFileSync(zoomed.svg, 'utf8');
    expect(zoomSvg).toContain(', seconds 1 to 4</text>');
    expect(zoomSvg).toContain('>promote</text>');
    expect(zoomSvg).toContain('>3.5</text>');
    expect(zoomSvg).not.toContain('>5.0</text>');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('actionWindow: a second before the first marker to two after the last, only when that is a small part of the run', () => {
  const report = (t: number[], durationSeconds = 30) =>
    ({ durationSeconds, markers: t.map((x) => ({ t: x, at: '', label: 'm', source: 'failover' })) }) as never;
  expect(actionWindow(report([10.2, 10.9, 11.3]))).toEqual({ from: 9, to: 14 });
  expect(actionWindow(report([0.3, 29.5]))).toBeUndefined();
  expect(actionWindow(report([]))).toBeUndefined();
  expect(actionWindow(report([1, 2], 4))).toBeUndefined();
});

test('a spec Vega-Lite cannot compile is reported with the renderer output', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-chart-'));
  try {
    await expect(renderChart({ mark: 'no-such-mark' } as never, path.join(dir, 'bad'))).rejects.toThrow(/rendering the chart failed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
