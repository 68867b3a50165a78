// Polling the failover pipeline (GetPipelineState, on aws-sdk-client-mock): each action's status change
// after the game day started becomes a marker at the time CodePipeline recorded it; a missing credential
// stops the game day before it starts; a region that stops answering is reported once.
import { CodePipelineClient, GetPipelineStateCommand, type GetPipelineStateCommandOutput } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { failoverPipeline, PipelinePoller, pipelineMarkers, type PipelineMarker } from '../../util/gameday/pipeline';

const T0 = Date.UTC(2026, 11, 1, 12);
const at = (s: number) => new Date(T0 + s * 1000);

function state(actions: Record<string, [string, string, string, number] | undefined>): GetPipelineStateCommandOutput {
  // actions: "Stage/Action" → [executionId, status, summary, seconds after T0]
  const stageStates: NonNullable<GetPipelineStateCommandOutput['stageStates']> = [];
  for (const [key, value] of Object.entries(actions)) {
    const [stageName, actionName] = key.split('/');
    let stage = stageStates.find((s) => s.stageName === stageName);
    if (!stage) stageStates.push((stage = { stageName, actionStates: [] }));
    stage.actionStates!.push({
      actionName,
      ...(value
        ? { latestExecution: { actionExecutionId: value[0], status: value[1] as never, summary: value[2], lastStatusChange: at(value[3]) } }
        : {}),
    });
  }
  return { $metadata: {}, pipelineName: 'ToDoMgmt-failover-secd', stageStates };
}

test('failoverPipeline names the pipeline of that role in its region', () => {
  expect(failoverPipeline('secd', { pri: 'us-east-1', secd: 'us-east-2' })).toEqual({
    name: 'ToDoMgmt-failover-secd',
    region: 'us-east-2',
  });
});

test('pipelineMarkers: only changes, only since the start, in time order', () => {
  const seen = new Map<string, string>();
  const before = state({ 'Source/CodeCommit': ['e0', 'Succeeded', '', -600], 'Approve/ApproveFailover': ['a0', 'Succeeded', '', -500] });
  expect(pipelineMarkers(before, seen, T0)).toEqual([]);
  const running = state({
    'Source/CodeCommit': ['e1', 'Succeeded', '', 3],
    'Plan/DryRun': ['p1', 'Succeeded', '', 40],
    'Approve/ApproveFailover': ['a1', 'InProgress', '', 41],
    'Failover/Failover': undefined,
  });
  expect(pipelineMarkers(running, seen, T0).map((m) => [m.label, m.at - T0])).toEqual([
    ['Source: CodeCommit Succeeded', 3000],
    ['Plan: DryRun Succeeded', 40000],
    ['Approve: ApproveFailover InProgress', 41000],
  ]);
  expect(pipelineMarkers(running, seen, T0)).toEqual([]);
});

describe('PipelinePoller', () => {
  const mock = mockClient(CodePipelineClient);
  afterEach(() => mock.reset());

  test('marks the approval and the failover as they happen, with a last look when stopped', async () => {
    mock
      .on(GetPipelineStateCommand)
      .resolvesOnce(state({ 'Approve/ApproveFailover': ['a1', 'InProgress', '', 1] }))
      .resolvesOnce(
        state({ 'Approve/ApproveFailover': ['a1', 'Succeeded', 'approved', 2], 'Failover/Failover': ['f1', 'InProgress', '', 2.5] }),
      )
      .resolves(state({ 'Approve/ApproveFailover': ['a1', 'Succeeded', 'approved', 2], 'Failover/Failover': ['f1', 'Succeeded', '', 9] }));
    const markers: PipelineMarker[] = [];
    const errors: string[] = [];
    const poller = new PipelinePoller({
      pipelines: [{ name: 'ToDoMgmt-failover-secd', region: 'us-east-2' }],
      sinceMs: T0,
      intervalMs: 10,
      client: (region) => new CodePipelineClient({ region }),
      onMarker: (m) => markers.push(m),
      onError: (e) => errors.push(e),
    });
    await poller.check();
    poller.start();
    await new Promise((r) => setTimeout(r, 60));
    await poller.stop();
    expect(markers.map((m) => `${m.stage}/${m.action} ${m.status}`)).toEqual([
      'Approve/ApproveFailover InProgress',
      'Approve/ApproveFailover Succeeded',
      'Failover/Failover InProgress',
      'Failover/Failover Succeeded',
    ]);
    expect(markers.every((m) => m.source === 'pipeline')).toBe(true);
    expect(errors).toEqual([]);
    expect(mock.commandCalls(GetPipelineStateCommand)[0].args[0].input).toEqual({ name: 'ToDoMgmt-failover-secd' });
  });

  test('check() names the missing credentials or permission', async () => {
    const options = {
      pipelines: [{ name: 'ToDoMgmt-failover-pri', region: 'us-east-1' }],
      sinceMs: T0,
      client: (region: string) => new CodePipelineClient({ region }),
      onMarker: () => undefined,
      onError: () => undefined,
    };
    mock
      .on(GetPipelineStateCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    await expect(new PipelinePoller(options).check()).rejects.toThrow(/needs AWS credentials .*or leave out --pipeline/);
    mock.on(GetPipelineStateCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    await expect(new PipelinePoller(options).check()).rejects.toThrow(/needs codepipeline:GetPipelineState/);
  });

  test('a region that stops answering is reported once and polling goes on', async () => {
    mock
      .on(GetPipelineStateCommand)
      .resolvesOnce(state({}))
      .rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    const errors: string[] = [];
    const poller = new PipelinePoller({
      pipelines: [{ name: 'ToDoMgmt-failover-pri', region: 'us-east-1' }],
      sinceMs: T0,
      intervalMs: 5,
      client: (region) => new CodePipelineClient({ region }),
      onMarker: () => undefined,
      onError: (e) => errors.push(e),
    });
    await poller.check();
    poller.start();
    await new Promise((r) => setTimeout(r, 50));
    await poller.stop();
    expect(mock.commandCalls(GetPipelineStateCommand).length).toBeGreaterThan(3);
    expect(errors).toEqual([expect.stringMatching(/polling ToDoMgmt-failover-pri in us-east-1 failed: TimeoutError/)]);
  });
});
