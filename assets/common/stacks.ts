// The app's top-level stacks and the orders they are deployed and torn down in: facts the CDK app
// (lib/todo-mgmt-app.ts), deploy.sh and delete.sh share. Pure data over #names, no CDK import, so the
// scripts read it through util/scripts/describe-app.ts without a synth (which takes ~10 s);
// test/scripts/app-stacks.test.ts checks the app defines exactly these stacks.
import { type RegionRole, STACK_NAMES, STAGE_IDS } from '#names';

export type StackKind = 'pipeline' | 'infra' | 'app' | 'failover';

export interface AppStack {
  /** What `cdk deploy <id>` takes: the construct path (stage stacks sit under the pipeline stack). */
  readonly id: string;
  /** The CloudFormation stack name. */
  readonly name: string;
  readonly regionRole: RegionRole;
  readonly kind: StackKind;
}

const stageStack = (regionRole: RegionRole, kind: 'infra' | 'app'): AppStack => {
  const name = STACK_NAMES[kind](regionRole);
  return { id: `${STACK_NAMES.pipeline}/${STAGE_IDS[regionRole]}/${name}`, name, regionRole, kind };
};

/**
 * Deploy order, the article's (deployOrder() moves the pipeline stack last for a connection source): the
 * pipeline stack (it owns the repository the stages come from), then
 * each region's infra before its app (the app connects to the infra's proxy), the primary before the
 * secondary (the secondary cluster joins the primary's global cluster and trusts its user pool), and
 * the failover pipelines last (they read what both regions publish in SSM).
 */
export const APP_STACKS: readonly AppStack[] = [
  { id: STACK_NAMES.pipeline, name: STACK_NAMES.pipeline, regionRole: 'pri', kind: 'pipeline' },
  stageStack('pri', 'infra'),
  stageStack('pri', 'app'),
  stageStack('secd', 'infra'),
  stageStack('secd', 'app'),
  { id: STACK_NAMES.failover, name: STACK_NAMES.failover, regionRole: 'pri', kind: 'failover' },
  { id: STACK_NAMES.failoverSecd, name: STACK_NAMES.failoverSecd, regionRole: 'secd', kind: 'failover' },
];

/** The pipeline's stage after SecdDeploy, holding its copies of the two failover stacks. */
export const FAILOVER_STAGE_ID = 'FailoverDeploy';

/**
 * The failover stacks as the self-mutating pipeline deploys them, after SecdDeploy, so that a push keeps
 * both failover pipelines and the copy of the failover program in each region current. A construct has one
 * parent, so these are second instances built by the same code under `ToDoMgmt/FailoverDeploy/`; their
 * CloudFormation stack names and regions are those of the top-level stacks, so the pipeline and
 * `cdk deploy ToDoMgmt-failover` (deploy.sh's first run) update one and the same stack. The CDK CLI selects
 * by construct path: `ToDoMgmt-failover` names the top-level stack only.
 */
export const PIPELINE_FAILOVER_STACKS: readonly AppStack[] = APP_STACKS.filter((s) => s.kind === 'failover').map((s) => ({
  ...s,
  id: `${STACK_NAMES.pipeline}/${FAILOVER_STAGE_ID}/${s.name}`,
}));

/**
 * deploy.sh's order (cdk ids). CodePipeline starts a new pipeline as soon as it is created (CodePipeline
 * user guide, "Start a pipeline in CodePipeline": the CreatePipeline trigger). From an empty CodeCommit
 * repository that first run stops at its source; from a connection it would build the repository's branch
 * and deploy the same stacks deploy.sh is deploying. So with a connection the pipeline stack comes last:
 * its first run then finds every stack in place.
 */
export function deployOrder(sourceKind: 'codecommit' | 'connection'): string[] {
  const pipeline = APP_STACKS.filter((s) => s.kind === 'pipeline');
  const rest = APP_STACKS.filter((s) => s.kind !== 'pipeline');
  return (sourceKind === 'connection' ? [...rest, ...pipeline] : [...pipeline, ...rest]).map((s) => s.id);
}

/** CDK Pipelines' cross-region support stack (artifact replication) for the region the pipeline deploys to besides its own. */
export const supportStackName = (region: string) => `${STACK_NAMES.pipeline}-support-${region}`;

export interface TeardownStack {
  readonly name: string;
  readonly regionRole: RegionRole;
  /** `support`: created by CDK Pipelines, not a stack of the app (no cdk id). */
  readonly kind: StackKind | 'support';
}

const appStack = (kind: StackKind, regionRole: RegionRole): TeardownStack => {
  const stack = APP_STACKS.find((s) => s.kind === kind && s.regionRole === regionRole);
  if (!stack) throw new Error(`no ${kind} stack in ${regionRole}`);
  return { name: stack.name, regionRole, kind };
};

/**
 * The order delete.sh deletes in, given the secondary region (it names the support stack). Nothing may
 * still use what goes: the failover pipelines first (they act on both regions' databases), each app
 * before its infra, the secondary before the primary (the secondary app reads the primary's ids; the
 * primary infra owns the global cluster, which must be empty to go), the pipeline stack after the stages
 * it deploys, its support stack after it. delete.sh detaches both clusters from the global cluster
 * before the secondary infra goes.
 */
export function teardownOrder(secdRegion: string): TeardownStack[] {
  return [
    appStack('failover', 'pri'),
    appStack('failover', 'secd'),
    appStack('app', 'secd'),
    appStack('infra', 'secd'),
    appStack('app', 'pri'),
    appStack('infra', 'pri'),
    appStack('pipeline', 'pri'),
    { name: supportStackName(secdRegion), regionRole: 'secd', kind: 'support' },
  ];
}
