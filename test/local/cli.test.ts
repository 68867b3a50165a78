// The commands users run: `npm run local -- start` in the foreground with Ctrl-C, then `start --detach`,
// a second start that must not double anything, `status`, and `stop` (what ./delete.sh --local runs);
// and start's option without the command, as `npm run local -- --detach` and `./deploy.sh --local --detach`.
// Each must leave no process behind, and none may signal a process that stale pid files name.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive, FREE_LOCAL_PORTS, processesMentioning, startDecoy, stopDecoy } from './harness';

jest.setTimeout(120_000);

const repo = path.join(__dirname, '..', '..');
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-cli-'));
const env = {
  ...process.env,
  LOCAL_STATE_DIR: stateDir,
  ...FREE_LOCAL_PORTS,
};

type Running = ChildProcess & { output: () => string; done: Promise<number | null> };

function spawnInRepo(command: string, args: string[]): Running {
  const child = spawn(command, args, { cwd: repo, env });
  let text = '';
  child.stdout.on('data', (c) => (text += c));
  child.stderr.on('data', (c) => (text += c));
  const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return Object.assign(child, { output: () => text, done });
}

const cli = (args: string[]) =>
  spawnInRepo(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), 'util/local/cli.ts', ...args]);

async function finished(child: Running): Promise<{ code: number | null; text: string }> {
  const code = await child.done;
  return { code, text: child.output() };
}

const run = (args: string[]) => finished(cli(args));

afterAll(async () => {
  await run(['stop']);
  const left = processesMentioning(stateDir);
  fs.rmSync(stateDir, { recursive: true, force: true });
  expect(left).toEqual([]);
});

test('start in the foreground prints the walkthrough, Ctrl-C stops everything and keeps the state', async () => {
  const child = cli(['start']);
  const deadline = Date.now() + 100_000;
  while (!/Ctrl-C stops everything/.test(child.output()) && child.exitCode === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const out = child.output();
  expect(out).toMatch(/curl -s -X POST '.*\/oauth2\/token'/);
  expect(out).toMatch(/--header 'Authorization: Basic [A-Za-z0-9+/=]+'/);
  expect(out).toContain('npm run failover -- --local --mode switchover --yes');

  const endpoints = JSON.parse(fs.readFileSync(path.join(stateDir, 'endpoints.json'), 'utf8'));
  expect(Object.keys(endpoints).sort()).toEqual(['clientId', 'clientSecret', 'edgeUrl', 'regions', 'scope', 'tokenUrl']);
  expect(Object.keys(endpoints.regions.pri).sort()).toEqual(['apiUrl', 'dbPort', 'name', 'proxy', 'tokenUrl']);
  expect(endpoints.regions.pri.tokenUrl).toBe(endpoints.tokenUrl);
  expect(endpoints.regions).toMatchObject({ pri: { name: 'us-east-1' }, secd: { name: 'us-east-2' } });
  expect(fs.statSync(path.join(stateDir, 'endpoints.json')).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(stateDir, 'secrets.json')).mode & 0o777).toBe(0o600);
  // Wherever LOCAL_STATE_DIR points, git ignores everything in it.
  expect(fs.readFileSync(path.join(stateDir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);

  child.kill('SIGINT');
  expect(await child.done).toBe(0);
  expect(child.output()).toContain('no process left behind');
  expect(processesMentioning(stateDir)).toEqual([]);
  expect(fs.existsSync(path.join(stateDir, 'secrets.json'))).toBe(true);
});

test('start --detach over stale pid files, a second start is detected, status, stop removes everything', async () => {
  // The foreground run was stopped; its pid files' pids now belong to a decoy (a reboot, a reused pid).
  const decoy = startDecoy(stateDir);
  fs.writeFileSync(path.join(stateDir, 'supervisor.pid'), JSON.stringify({ pid: decoy.pid, startTime: '1' }));
  fs.writeFileSync(path.join(stateDir, 'pri', 'db', 'mariadb.pid'), `${decoy.pid}\n`);
  let first: { code: number | null; text: string };
  try {
    first = await run(['start', '--detach']);
    expect(alive(decoy.pid)).toBe(true);
  } finally {
    await stopDecoy(decoy);
  }
  expect(first).toMatchObject({ code: 0 });
  expect(first.text).toContain('Running in the background');
  const pid = fs.readFileSync(path.join(stateDir, 'supervisor.pid'), 'utf8').trim();

  const second = await run(['start', '--detach']);
  expect(second).toMatchObject({ code: 0 });
  expect(second.text).toContain('already runs');
  expect(fs.readFileSync(path.join(stateDir, 'supervisor.pid'), 'utf8').trim()).toBe(pid);

  const status = await run(['status', '--json']);
  expect(status.code).toBe(0);
  const parsed = JSON.parse(status.text);
  expect(parsed).toMatchObject({ running: true, topology: { writer: 'pri' } });
  expect(parsed.regions.map((r: { apiHealthy: boolean; dbReachable: boolean }) => [r.apiHealthy, r.dbReachable])).toEqual([
    [true, true],
    [true, true],
  ]);

  const stop = await run(['stop']);
  expect(stop).toMatchObject({ code: 0 });
  expect(fs.existsSync(stateDir)).toBe(false);
  expect(processesMentioning(stateDir)).toEqual([]);
});

test.each([
  ['npm run local -- --detach', 'npm', ['run', 'local', '--', '--detach']],
  ['./deploy.sh --local --detach', './deploy.sh', ['--local', '--detach']],
])('start is the default command: %s starts in the background', async (_spelling, command, args) => {
  const started = await finished(spawnInRepo(command, args));
  expect(started).toMatchObject({ code: 0 });
  expect(started.text).toContain('Running in the background');
  expect(started.text).not.toContain('unknown command');
  const { pid } = JSON.parse(fs.readFileSync(path.join(stateDir, 'supervisor.pid'), 'utf8')) as { pid: number };
  expect(alive(pid)).toBe(true);

  expect(await run(['stop'])).toMatchObject({ code: 0 });
  expect(processesMentioning(stateDir)).toEqual([]);
});
