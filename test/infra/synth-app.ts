// Builds the app the way bin/app.ts does, from a fixed configuration and cdk.json's context, once per
// test file (synthesis takes seconds; every assertion reads the same cloud assembly).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { type AppConfig, type Env, loadConfig } from '#config';
import { buildToDoMgmtApp, type ToDoMgmtStacks } from '../../lib/todo-mgmt-app';

export const REPO_ROOT = path.join(__dirname, '..', '..');

/** The committed .env's values, pinned so that a developer's shell cannot change what the tests see. */
export const TEST_ENV: Env = {
  AWS_SRC_REGION: 'us-east-1',
  AWS_DEST_REGION: 'us-east-2',
  VPC_CIDR_RANGE: '10.0.0.0/16',
  DB_NAME: 'todos',
  DB_MIN_CAPACITY: '0.5',
  DB_MAX_CAPACITY: '4',
  DB_BACKUP_RETENTION_DAYS: '7',
  DB_DELETION_PROTECTION: 'false',
  COGNITO_DOMAIN_PREFIX: 'todomgmt-dev-api',
  FAILOVER_MODE: 'switchover',
};

export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context ?? {};
}

export interface SynthesizedApp {
  readonly config: AppConfig;
  readonly stacks: ToDoMgmtStacks;
  readonly assembly: CloudAssembly;
  readonly outdir: string;
  template(stack: Stack): Template;
}

export interface SynthOptions {
  /**
   * Keys that override TEST_ENV (a custom domain, an invalid value).
   * @default - TEST_ENV as it is
   */
  readonly env?: Env;
  /**
   * false: skip esbuild for the functions (the CDK then stages no code). Assertions on templates do
   * not need the bundles; the compliance and CLI tests bundle for real.
   * @default true
   */
  readonly bundle?: boolean;
  /**
   * Changes the app before synthesis (negative controls: prove a check can fail).
   * @default - the app as buildToDoMgmtApp() makes it
   */
  readonly tamper?: (stacks: ToDoMgmtStacks) => void;
}

export function synthApp(options: SynthOptions = {}): SynthesizedApp {
  const config = loadConfig({ ...TEST_ENV, ...options.env });
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-cdk-'));
  const context = { ...cdkJsonContext(), ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}) };
  const app = new App({ outdir, context });
  const stacks = buildToDoMgmtApp(app, config);
  options.tamper?.(stacks);
  let assembly: CloudAssembly;
  try {
    assembly = app.synth();
  } catch (error) {
    fs.rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
  const templates = new Map<Stack, Template>();
  return {
    config,
    stacks,
    assembly,
    outdir,
    template(stack) {
      if (!templates.has(stack)) templates.set(stack, Template.fromJSON(readTemplate(assembly, stack)));
      return templates.get(stack)!;
    },
  };
}

function readTemplate(assembly: CloudAssembly, stack: Stack): Record<string, unknown> {
  const artifact = assembly.stacksRecursively.find((candidate) => candidate.hierarchicalId === stack.node.path);
  if (!artifact) throw new Error(`no template for ${stack.node.path}`);
  return artifact.template;
}

export function removeOutdir(synthesized: SynthesizedApp): void {
  fs.rmSync(synthesized.outdir, { recursive: true, force: true });
}
