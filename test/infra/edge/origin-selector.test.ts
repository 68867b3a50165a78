// assets/edge/origin-selector.js, the viewer-request CloudFront Function, run in Node against the fake
// `cloudfront` module (fake-cloudfront.md) with exactly the code the CDK app deploys.
import * as fs from 'node:fs';
import { EDGE_ORIGIN_KEY } from '#names';
import { EDGE_FUNCTION_FILE, edgeFunctionCode } from '../../../lib/constructs/edge-origin-selector';
import { fakeCloudFront, type FakeCloudFrontOptions, loadViewerRequestFunction, viewerRequest } from './fake-cloudfront';

const REGIONS = ['eu-west-1', 'eu-central-1'];
const CODE = edgeFunctionCode({ originKey: EDGE_ORIGIN_KEY, regions: REGIONS });
const SECD_HOST = 'f6g7h8i9j0.execute-api.eu-central-1.amazonaws.com';
const PRI_HOST = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';

async function run(options: FakeCloudFrontOptions, request = viewerRequest()) {
  const fake = fakeCloudFront(options);
  const logs: string[] = [];
  const before = structuredClone(request);
  const result = await loadViewerRequestFunction(CODE, fake.module, (line) => logs.push(line))(request);
  // Never anything but the request it was given, unchanged: method, URI, query, headers, cookies (the
  // function cannot see the body; CloudFront passes it on untouched).
  expect(result).toBe(request.request);
  expect(request).toEqual(before);
  return { updates: fake.originUpdates, selections: fake.originSelections, reads: fake.reads, logs };
}

describe('the key names an API host of one of the two regions', () => {
  test.each([
    ['the secondary', SECD_HOST],
    ['the primary (equal to the configured origin: harmless)', PRI_HOST],
  ])('%s: the request goes there, only the host changes', async (_label, host) => {
    const { updates, reads, logs } = await run({ store: { [EDGE_ORIGIN_KEY]: host } });
    expect(reads).toEqual([EDGE_ORIGIN_KEY]);
    expect(updates).toEqual([{ domainName: host }]);
    expect(logs).toEqual([]);
  });

  test.each(['GET', 'DELETE'])('%s requests with their query and headers are routed the same way, untouched', async (method) => {
    const request = viewerRequest({ method, querystring: { id: { value: '7' }, limit: { value: '5' } } });
    const { updates } = await run({ store: { [EDGE_ORIGIN_KEY]: SECD_HOST } }, request);
    expect(updates).toEqual([{ domainName: SECD_HOST }]);
  });
});

describe('everything else keeps the configured origin (the primary)', () => {
  test('no key (the steady state): no origin change and nothing logged', async () => {
    const { updates, selections, logs } = await run({ store: {} });
    expect(updates).toEqual([]);
    expect(selections).toEqual([]);
    expect(logs).toEqual([]);
  });

  test('a store error: no origin change, nothing logged, the request is not failed', async () => {
    const { updates, logs } = await run({ store: { [EDGE_ORIGIN_KEY]: SECD_HOST }, storeError: new Error('KVS unavailable') });
    expect(updates).toEqual([]);
    expect(logs).toEqual([]);
  });

  test('no store associated at all (cf.kvs() throws): still the configured origin', async () => {
    const { updates } = await run({ associated: false });
    expect(updates).toEqual([]);
  });

  test.each([
    ['an API host of a third region', 'f6g7h8i9j0.execute-api.us-west-2.amazonaws.com'],
    ['another host', 'attacker.example.com'],
    ['an API host inside a longer name', 'f6g7h8i9j0.execute-api.eu-central-1.amazonaws.com.attacker.example.com'],
    ['a URL instead of a host', `https://${SECD_HOST}/prod`],
    ['a host with a path', `${SECD_HOST}/prod`],
    ['upper case', SECD_HOST.toUpperCase()],
    ['surrounding blanks', ` ${SECD_HOST} `],
    ['an id of the wrong length', 'f6g7h8i9.execute-api.eu-central-1.amazonaws.com'],
    ['an empty value', ''],
    ['JSON', JSON.stringify({ host: SECD_HOST })],
  ])('%s: ignored, and logged (truncated)', async (_label, value) => {
    const { updates, logs } = await run({ store: { [EDGE_ORIGIN_KEY]: value } });
    expect(updates).toEqual([]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(new RegExp(`^ignored ${EDGE_ORIGIN_KEY}=.*: not an API host of eu-west-1 or eu-central-1$`));
    expect(logs[0].length).toBeLessThan(300);
  });
});

describe('the deployed source', () => {
  const source = fs.readFileSync(EDGE_FUNCTION_FILE, 'utf8');

  test('edgeFunctionCode() writes the deployment settings into the one CONFIG line, nothing else', () => {
    const expectedLine = `const CONFIG = ${JSON.stringify({ originKey: EDGE_ORIGIN_KEY, regions: REGIONS })};`;
    expect(CODE.split('\n').filter((line) => line !== expectedLine)).toEqual(
      source.split('\n').filter((line) => !line.startsWith('const CONFIG = ')),
    );
    expect(CODE).toContain(expectedLine);
    expect(() => edgeFunctionCode({ originKey: 'k', regions: [] }, source.replace(/^const CONFIG = .*$/m, ''))).toThrow(
      /exactly one line "const CONFIG/,
    );
  });

  test("the file's own defaults are names.ts's key (the file runs as it is)", () => {
    expect(source).toContain(`originKey: '${EDGE_ORIGIN_KEY}'`);
  });

  test('fits CloudFront Functions’ 10 KB code limit', () => {
    expect(Buffer.byteLength(CODE, 'utf8')).toBeLessThan(10 * 1024);
  });

  test('uses no syntax that JavaScript runtime 2.0 does not list (ES 5.1 plus some ES 6-12)', () => {
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html
    const code = source.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    expect(code).not.toMatch(/\?\.|\?\?|catch\s*\{|\bclass\b|\bexport\b|\brequire\(|\bimport\b(?! cf from 'cloudfront')/);
  });
});
