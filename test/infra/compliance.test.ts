// The whole app, bundled as for a deployment: cdk-nag AwsSolutions and CloudFormation's own template
// validation report nothing unacknowledged, every acknowledgement says why, and the shape of every
// stack is pinned by a small snapshot (logical id → type; asset hashes never appear in it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { removeOutdir, type SynthesizedApp, synthApp } from './synth-app';

interface PluginReport {
  pluginName: string;
  conclusion: string;
  violations: { ruleName: string; description: string; violatingConstructs?: { constructPath: string }[] }[];
  suppressedViolations?: unknown[];
}

let synthesized: SynthesizedApp;
let reports: PluginReport[];

beforeAll(() => {
  synthesized = synthApp();
  reports = JSON.parse(fs.readFileSync(path.join(synthesized.outdir, 'validation-report.json'), 'utf8')).pluginReports;
});
afterAll(() => removeOutdir(synthesized));

const describeViolations = (report: PluginReport) =>
  report.violations.map((v) => `${v.ruleName} at ${(v.violatingConstructs ?? []).map((c) => c.constructPath).join(', ')}`);

test('cdk-nag AwsSolutions: zero unacknowledged findings over every stack of the app', () => {
  // A clean plugin leaves no entry in the report; synthApp() would have thrown on a failing one.
  const nag = reports.filter((report) => report.pluginName === 'AwsSolutions');
  expect(nag.flatMap(describeViolations)).toEqual([]);
  expect(nag.every((report) => report.conclusion === 'success')).toBe(true);
});

test('the check can fail: the same app with one unacknowledged finding does not synthesize', () => {
  expect(() =>
    synthApp({
      bundle: false,
      tamper: (stacks) => new s3.Bucket(stacks.failover.secd, 'UnloggedBucket', { enforceSSL: true }),
    }),
  ).toThrow(/UnloggedBucket[\s\S]*AwsSolutions-S1/);
});

test('CloudFormation template validation at synth reports no errors', () => {
  const cfn = reports.find((report) => report.pluginName === 'CloudFormation Validate');
  expect(cfn).toBeDefined();
  expect(describeViolations(cfn!)).toEqual([]);
  expect(cfn!.conclusion).toBe('success');
});

test('every acknowledgement carries a real reason', () => {
  const acknowledgements: { path: string; id: string; reason: string }[] = [];
  const visit = (construct: IConstruct) => {
    for (const entry of construct.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledgements.push({ path: construct.node.path, id, reason });
        }
      }
    }
    construct.node.children.forEach(visit);
  };
  visit(synthesized.stacks.pipeline.node.root);
  expect(acknowledgements.length).toBeGreaterThan(10);
  for (const ack of acknowledgements) {
    expect({ ...ack, words: ack.reason.split(/\s+/).length >= 6 }).toEqual({ ...ack, words: true });
  }
});

/**
 * A Lambda version's logical id ends in a hash of the function's configuration, its code included
 * (`CreateTableFunctionCurrentVersionFF210794<32 hex>`): masked, so a change to the functions' code does
 * not read as a change of the stack's shape.
 */
const maskVersionHash = (logicalId: string) => logicalId.replace(/(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}$/, '$1<hash>');

test('every stack keeps its shape (snapshot of logical ids and types, outputs)', () => {
  const shape: Record<string, unknown> = {};
  for (const artifact of synthesized.assembly.stacksRecursively) {
    const template = artifact.template as { Resources?: Record<string, { Type: string }>; Outputs?: Record<string, unknown> };
    shape[artifact.hierarchicalId] = {
      stackName: artifact.stackName,
      environment: `${artifact.environment.account}/${artifact.environment.region}`,
      resources: Object.entries(template.Resources ?? {})
        .map(([id, resource]) => `${maskVersionHash(id)} ${resource.Type}`)
        .sort(),
      outputs: Object.keys(template.Outputs ?? {}).sort(),
    };
  }
  expect(shape).toMatchSnapshot();
});
