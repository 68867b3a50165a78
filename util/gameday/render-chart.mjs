// Renders a Vega-Lite spec (JSON on stdin) to SVG and, when a second path is given, PNG:
//   node render-chart.mjs <out.svg> [<out.png>] < spec.json
// Vega renders headless in Node (renderer 'none', no browser, no canvas); resvg turns the SVG into a PNG
// with the system's fonts. A separate ES module because Vega ships only as ES modules with a top-level
// await, which neither ts-node's CommonJS nor Jest can require.
import { readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

const [svgPath, pngPath] = process.argv.slice(2);
if (!svgPath) {
  process.stderr.write('usage: node render-chart.mjs <out.svg> [<out.png>] < vega-lite-spec.json\n');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(0, 'utf8'));
const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
const svg = await view.toSVG();
view.finalize();
writeFileSync(svgPath, svg);
if (pngPath) {
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
  writeFileSync(pngPath, png);
}
