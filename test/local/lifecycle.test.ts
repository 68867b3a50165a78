// A start that fails stops everything it began, `status` names what a dead supervisor left behind,
// and `stop` cleans it up, without ever signalling a process that stale pid files name (issue 14
// items 9 and 11). One state dir for the file; its databases are initialized by the first test.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadLocalConfig, readEnv } from '#config';
import { startMariaDb } from '../../util/local/mariadb';
import { statePaths } from '../../util/local/state';
import { Rehearsal } from '../../util/local/supervisor';
import { alive, FREE_LOCAL_PORTS, processesMentioning, startDecoy, stopDecoy } from './harness';

jest.setTimeout(120_000);

const repo = path.join(__dirname, '..', '..');
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdl-life-'));
const paths = statePaths(stateDir);
const config = (overrides: Record<string, string> = {}) =>
  loadLocalConfig({ ...readEnv(), LOCAL_STATE_DIR: stateDir, ...FREE_LOCAL_PORTS, ...overrides });

afterAll(async () => {
  await cli(['stop']);
  const left = processesMentioning(stateDir);
  fs.rmSync(stateDir, { recursive: true, force: true });
  expect(left).toEqual([]);
});

function cli(args: string[]): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), 'util/local/cli.ts', ...args], {
      cwd: repo,
      env: { ...process.env, LOCAL_STATE_DIR: stateDir, ...FREE_LOCAL_PORTS },
    });
    let text = '';
    child.stdout.on('data', (c) => (text += c));
    child.stderr.on('data', (c) => (text += c));
    child.once('exit', (code) => resolve({ code, text }));
  });
}

async function busyPort(): Promise<net.Server & { port: number }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(server, { port: (server.address() as net.AddressInfo).port });
}

test('a start that fails late (the edge port is taken) stops both databases and both APIs it had started', async () => {
  const blocker = await busyPort();
  const log: string[] = [];
  try {
    await expect(Rehearsal.start({ config: config({ LOCAL_EDGE_PORT: String(blocker.port) }), log: (l) => log.push(l) })).rejects.toThrow(
      /LOCAL_EDGE_PORT/,
    );
  } finally {
    await new Promise((r) => blocker.close(r));
  }
  // It had got as far as both APIs (they created the table).
  expect(log.join('\n')).toMatch(/us-east-2 api\]/);
  expect(processesMentioning(stateDir)).toEqual([]);
  expect(fs.existsSync(paths.supervisorPid)).toBe(false);
});

test('a start that fails while the databases start in parallel stops the one that did start', async () => {
  // secd's data dir cannot be created: its start fails at once, while pri's database is still booting.
  const secdDir = paths.dbDataDir('secd');
  const moved = `${secdDir}.moved`;
  fs.renameSync(secdDir, moved);
  fs.writeFileSync(secdDir, 'not a directory');
  try {
    await expect(Rehearsal.start({ config: config(), log: () => undefined })).rejects.toThrow(/EEXIST|ENOTDIR/);
    // Nothing is still on its way up either: watch for a while (pri boots in well under that).
    for (const until = Date.now() + 3000; Date.now() < until;) {
      expect(processesMentioning(stateDir)).toEqual([]);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    fs.rmSync(secdDir, { force: true });
    fs.renameSync(moved, secdDir);
  }
});

test('status names what a dead supervisor left; stop stops it and spares the process that stale pid files name', async () => {
  // A MariaDB nobody owns any more (its supervisor was SIGKILLed)...
  const orphan = await startMariaDb({ dataDir: paths.dbDataDir('pri'), serverId: 1, readOnly: true, detached: true, log: () => undefined });
  // ...and pid files whose pids now belong to someone else.
  const decoy = startDecoy(stateDir);
  try {
    fs.writeFileSync(paths.supervisorPid, String(decoy.pid)); // the bare pid an older version wrote
    fs.writeFileSync(paths.runtime, JSON.stringify({ supervisorPid: decoy.pid, controlSocket: paths.controlSocket, regions: {} }));
    fs.writeFileSync(path.join(paths.dbDataDir('secd'), 'mariadb.pid'), `${decoy.pid}\n`);

    const status = await cli(['status']);
    expect(status.code).toBe(3);
    expect(status.text).toMatch(/^not running/);
    expect(status.text).toContain(`LEFTOVER: the MariaDB of pri on ${paths.dbDataDir('pri')} (pid ${orphan.pid})`);
    expect(status.text).not.toContain(String(decoy.pid));
    const json = JSON.parse((await cli(['status', '--json'])).text);
    expect(json).toMatchObject({ running: false, leftovers: [{ kind: 'db', role: 'pri', pid: orphan.pid }] });

    const stop = await cli(['stop']);
    expect(stop).toMatchObject({ code: 0 });
    expect(stop.text).toContain(`supervisor.pid names pid ${decoy.pid}, which is not a rehearsal supervisor any more: leaving it alone`);
    expect(stop.text).toContain(`stopped the MariaDB of pri`);
    expect(alive(orphan.pid)).toBe(false);
    expect(alive(decoy.pid)).toBe(true);
    expect(fs.existsSync(stateDir)).toBe(false);
  } finally {
    await stopDecoy(decoy);
    await orphan.stop();
  }
});
