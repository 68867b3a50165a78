// The orchestration on its own, over an in-memory driver: order of the steps, approval, dry run,
// refusal, direction rules, resume and the report. Nothing here knows about AWS.
import { fakeClock } from '#failover/clock';
import { UsageError } from '#failover/errors';
import { runFailover, type RunOptions } from '#failover/run';
import { MemoryDriver } from './memory-driver';

async function run(driver: MemoryDriver, options: Partial<RunOptions> = {}) {
  const clock = fakeClock();
  const output: string[] = [];
  const asked: string[] = [];
  const report = await runFailover(driver, {
    mode: 'switchover',
    dryRun: false,
    yes: false,
    force: false,
    wait: true,
    traffic: 'kvs',
    confirm: (q) => {
      asked.push(q);
      return Promise.resolve(true);
    },
    print: (l) => output.push(l),
    clock,
    ...options,
  });
  return { report, output, asked };
}

describe('orchestration', () => {
  test('plan → approve → promote → proxy → traffic → verify, with a report', async () => {
    const driver = new MemoryDriver();
    const { report, output, asked } = await run(driver);

    const calls = ['discover', 'lag', 'promote:switchover:secd', 'proxy:secd', 'traffic:secd:kvs:wait', 'tokens:secd', 'discover'];
    expect(driver.calls).toEqual(calls);
    expect(asked).toEqual(['Proceed with the switchover to west? [y/N] ']);
    expect(output.findIndex((l) => l.startsWith('Plan'))).toBeLessThan(output.findIndex((l) => l.includes('promote (switchover) ...')));
    expect(report).toMatchObject({
      driver: 'memory',
      mode: 'switchover',
      outcome: 'completed',
      from: { role: 'pri', region: 'east' },
      to: { role: 'secd', region: 'west' },
      alreadyInPlace: ['proxy', 'tokens'],
      notes: ['old primary rejoins as a replica'],
    });
    expect(report.steps.map((s) => s.name)).toEqual([
      'discover',
      'measure replication lag',
      'ask the target API',
      'promote (switchover)',
      'proxy',
      'traffic',
      'tokens',
      'verify',
    ]);
    expect(output).toContain('Note: old primary rejoins as a replica');
    expect(output).toContain('  1. promote  db-secd: memory switchover');
  });

  test('a mode the driver cannot carry out is refused before anything is called', async () => {
    const driver = new MemoryDriver();
    driver.modes = ['switchover', 'failover'];
    await expect(run(driver, { mode: 'detach' })).rejects.toThrow(UsageError);
    await expect(run(driver, { mode: 'detach' })).rejects.toThrow(
      '--mode detach is not available with the memory driver (use switchover | failover)',
    );
    expect(driver.calls).toEqual([]);
  });

  test('not confirmed: nothing changes', async () => {
    const driver = new MemoryDriver();
    const { report } = await run(driver, { confirm: () => Promise.resolve(false) });
    expect(report.outcome).toBe('declined');
    expect(driver.calls).toEqual(['discover', 'lag']);
  });

  test('--yes does not ask; --dry-run stops after the plan; --no-wait is passed on', async () => {
    const dry = new MemoryDriver();
    expect((await run(dry, { dryRun: true })).report.outcome).toBe('dry-run');
    expect(dry.calls).toEqual(['discover', 'lag']);

    const yes = new MemoryDriver();
    const { asked } = await run(yes, { yes: true, wait: false });
    expect(asked).toEqual([]);
    expect(yes.calls).toContain('traffic:secd:kvs:nowait');
  });

  test('a failed preflight refuses before any change; --force overrides only forceable checks', async () => {
    const driver = new MemoryDriver();
    driver.lag = 60;
    const refused = await run(driver);
    expect(refused.report.outcome).toBe('refused');
    expect(driver.calls).toEqual(['discover', 'lag']);

    const forced = await run(driver, { force: true });
    expect(forced.report.outcome).toBe('completed');
  });

  test('failover contacts only the target region (the old primary only probed) and defaults to secd; re-running is a no-op', async () => {
    const driver = new MemoryDriver();
    driver.down.add('pri');
    const first = await run(driver, { mode: 'failover', yes: true });
    expect(first.report.outcome).toBe('completed');
    expect(driver.contacted.every((r) => r.contact.length === 1 && r.contact[0] === 'secd')).toBe(true);
    // Asked once in discovery; verification reads back only what it may call.
    expect(driver.contacted.map((r) => r.probe)).toEqual([['pri'], undefined]);
    expect(first.output.join('\n')).toContain('UNPLANNED FAILOVER');

    const second = await run(driver, { mode: 'failover', yes: true });
    expect(second.report.outcome).toBe('no-op');
    expect(second.report.alreadyInPlace).toEqual(['promote (failover)', 'proxy', 'traffic', 'tokens']);
  });

  test('switchover direction: default flips (a failback after a completed run); half-done runs are finished, not flipped', async () => {
    const driver = new MemoryDriver();
    expect((await run(driver, { yes: true })).report.to?.role).toBe('secd');
    const back = await run(driver, { yes: true });
    expect(back.report.to?.role).toBe('pri');
    expect(back.report.direction).toMatch(/a failback: the switchover to west completed/);

    // No record (written by another tool, or lost): a failback is not assumed.
    const bare = new MemoryDriver();
    bare.writer = 'secd';
    bare.serving = 'secd';
    const refused = await run(bare, { yes: true });
    expect(refused.report.outcome).toBe('refused');
    expect(refused.report.error).toMatch(/pass --to east to fail back/);

    driver.writer = 'secd';
    driver.serving = 'pri';
    const resumed = await run(driver, { yes: true });
    expect(resumed.report.to?.role).toBe('secd');
    expect(resumed.report.direction).toMatch(/stopped half-way/);
    expect(resumed.report.alreadyInPlace).toContain('promote (switchover)');
  });

  test('a failing step stops the run, is recorded, and the next run resumes', async () => {
    const driver = new MemoryDriver();
    driver.failOn = 'traffic';
    const failed = await run(driver, { yes: true });
    expect(failed.report.outcome).toBe('failed');
    expect(failed.report.error).toBe('edge unreachable');
    expect(failed.report.steps.at(-1)).toMatchObject({ name: 'traffic', error: 'edge unreachable' });
    expect(failed.output.join('\n')).toContain('run the same command again to resume');

    driver.failOn = undefined;
    const resumed = await run(driver, { yes: true });
    expect(resumed.report.outcome).toBe('completed');
    expect(resumed.report.alreadyInPlace).toEqual(['promote (switchover)', 'proxy', 'tokens']);
  });

  test('verification catches a driver that claims success but changed nothing', async () => {
    const driver = new MemoryDriver();
    driver.switchTraffic = () => Promise.resolve({ alreadyInPlace: false, detail: 'switched (not really)' });
    const { report } = await run(driver, { yes: true });
    expect(report.outcome).toBe('failed');
    expect(report.error).toMatch(/verification failed: traffic still goes to pri\.edge\.test/);
  });

  test('the run record: written once approved, after every step, completed at the end; never on a dry run', async () => {
    const driver = new MemoryDriver();
    await run(driver, { dryRun: true });
    expect(driver.records).toEqual({});
    const saved: string[] = [];
    const save = driver.saveRunRecord.bind(driver);
    driver.saveRunRecord = (record, roles) => {
      saved.push(`${record.state}:${record.lastStep ?? '-'}:${roles.join('+')}`);
      return save(record, roles);
    };
    await run(driver, { yes: true, by: 'codepipeline/ToDoMgmt-failover-pri' });
    expect(saved).toEqual([
      'running:-:pri+secd',
      'running:promote:pri+secd',
      'running:proxy:pri+secd',
      'running:traffic:pri+secd',
      'running:verify:pri+secd',
      'completed:verify:pri+secd',
    ]);
    expect(driver.records.secd).toMatchObject({ mode: 'switchover', from: 'pri', to: 'secd', by: 'codepipeline/ToDoMgmt-failover-pri' });
  });

  test('a usage error raised inside a run (cannot tell the writer) is refused: exit 2, not 1', async () => {
    const driver = new MemoryDriver();
    driver.writer = 'pri';
    driver.discover = async (request) => {
      const t = await MemoryDriver.prototype.discover.call(driver, request);
      return { ...t, regions: { pri: { ...t.regions.pri, isWriter: true }, secd: { ...t.regions.secd, isWriter: true } } };
    };
    const { report } = await run(driver, { yes: true });
    expect(report).toMatchObject({ outcome: 'refused', error: 'Cannot tell which region is the writer: pass --to <region>.' });
  });

  test('an unknown --to is a usage error before anything is called', async () => {
    const driver = new MemoryDriver();
    await expect(run(driver, { to: 'mars-1' })).rejects.toThrow(UsageError);
    await expect(run(driver, { to: 'mars-1' })).rejects.toThrow(
      "--to mars-1 is not one of this deployment's regions: east (pri), west (secd)",
    );
    expect(driver.calls).toEqual([]);
  });
});
