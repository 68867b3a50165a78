// Against AWS the operator runs the failover by approving a failover pipeline; the game day only
// observes. With --pipeline it polls CodePipeline's GetPipelineState for that pipeline (in its own
// region) and marks each action's status change on the timeline at the time CodePipeline recorded it
// (`latestExecution.lastStatusChange`):
// https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_GetPipelineState.html
// The only AWS call the game day makes, and only when asked: it needs codepipeline:GetPipelineState.
import { CodePipelineClient, GetPipelineStateCommand, type GetPipelineStateCommandOutput } from '@aws-sdk/client-codepipeline';
import { FAILOVER_PIPELINE_NAME, type RegionRole } from '#names';
import type { Marker } from './recorder';

export interface PolledPipeline {
  readonly name: string;
  readonly region: string;
}

export const failoverPipeline = (role: RegionRole, regions: Readonly<Record<RegionRole, string>>): PolledPipeline => ({
  name: FAILOVER_PIPELINE_NAME(role),
  region: regions[role],
});

/** The stage whose action moves the writer: its start is the failover's start for the RTO. */
export const FAILOVER_STAGE = 'Failover';

export interface PipelineMarker extends Marker {
  readonly stage: string;
  readonly action: string;
  readonly status: string;
}

/**
 * The action status changes in `state` that differ from `seen` (key stage/action → executionId|status)
 * and happened at or after `sinceMs`; updates `seen`.
 */
export function pipelineMarkers(
  state: Pick<GetPipelineStateCommandOutput, 'stageStates'>,
  seen: Map<string, string>,
  sinceMs: number,
): PipelineMarker[] {
  const markers: PipelineMarker[] = [];
  for (const stage of state.stageStates ?? []) {
    for (const action of stage.actionStates ?? []) {
      const execution = action.latestExecution;
      if (!stage.stageName || !action.actionName || !execution?.status || !execution.lastStatusChange) continue;
      const key = `${stage.stageName}/${action.actionName}`;
      const value = `${execution.actionExecutionId ?? ''}|${execution.status}|${execution.lastStatusChange.getTime()}`;
      if (seen.get(key) === value) continue;
      seen.set(key, value);
      const at = execution.lastStatusChange.getTime();
      if (at < sinceMs) continue;
      markers.push({
        at,
        label: `${stage.stageName}: ${action.actionName} ${execution.status}`,
        source: 'pipeline',
        stage: stage.stageName,
        action: action.actionName,
        status: execution.status,
      });
    }
  }
  return markers.sort((a, b) => a.at - b.at);
}

export interface PipelinePollerOptions {
  readonly pipelines: readonly PolledPipeline[];
  readonly sinceMs: number;
  readonly intervalMs?: number;
  readonly onMarker: (marker: PipelineMarker, pipeline: PolledPipeline) => void;
  readonly onError: (message: string) => void;
  /** Tests pass a client per region; by default the SDK's credential chain. */
  readonly client?: (region: string) => CodePipelineClient;
}

export class PipelinePoller {
  private readonly seen = new Map<string, Map<string, string>>();
  private readonly clients = new Map<string, CodePipelineClient>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private readonly failing = new Set<string>();

  constructor(private readonly o: PipelinePollerOptions) {}

  /** One poll of every pipeline; throws on the first failure, so a missing credential stops the game day before it starts. */
  async check(): Promise<void> {
    for (const p of this.o.pipelines) {
      try {
        await this.poll(p);
      } catch (error) {
        throw new Error(describeAwsError(error, p), { cause: error });
      }
    }
  }

  start(): void {
    const tick = () => {
      this.polling = this.pollAll().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.o.intervalMs ?? 5000);
      });
    };
    this.timer = setTimeout(tick, this.o.intervalMs ?? 5000);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
    // A last look, so that what happened just before the end is on the timeline too.
    await this.pollAll();
    for (const client of this.clients.values()) client.destroy();
  }

  private async pollAll(): Promise<void> {
    await Promise.all(
      this.o.pipelines.map(async (p) => {
        try {
          await this.poll(p);
          this.failing.delete(p.name);
        } catch (error) {
          // A region in an outage may not answer: say so once, keep observing the other.
          if (!this.failing.has(p.name)) this.o.onError(describeAwsError(error, p));
          this.failing.add(p.name);
        }
      }),
    );
  }

  private async poll(p: PolledPipeline): Promise<void> {
    const state = await this.client(p.region).send(new GetPipelineStateCommand({ name: p.name }));
    const seen = this.seen.get(p.name) ?? new Map<string, string>();
    this.seen.set(p.name, seen);
    for (const marker of pipelineMarkers(state, seen, this.o.sinceMs)) this.o.onMarker(marker, p);
  }

  private client(region: string): CodePipelineClient {
    let client = this.clients.get(region);
    if (!client) {
      client = this.o.client?.(region) ?? new CodePipelineClient({ region, maxAttempts: 2 });
      this.clients.set(region, client);
    }
    return client;
  }
}

function describeAwsError(error: unknown, p: PolledPipeline): string {
  const e = error as { name?: string; message?: string };
  const where = `${p.name} in ${p.region}`;
  if (e.name === 'CredentialsProviderError' || /credential/i.test(e.message ?? '')) {
    return `polling ${where} needs AWS credentials (aws sts get-caller-identity must work), or leave out --pipeline: ${e.message}`;
  }
  if (e.name === 'AccessDeniedException') return `polling ${where} needs codepipeline:GetPipelineState on it: ${e.message}`;
  if (e.name === 'PipelineNotFoundException') return `no pipeline ${where}: is ToDoMgmt deployed there? (${e.message})`;
  return `polling ${where} failed: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
}
