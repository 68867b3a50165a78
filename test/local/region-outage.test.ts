// An honest us-east-1 outage (issue 12), with COGNITO_REPLICA=true: killing pri takes its database,
// API and token endpoint down, and with them the CloudFront control plane stand-in (us-east-1), while
// the edge keeps serving. origin-swap then fails naming --traffic kvs; the kvs failover completes and
// activates the secd token replica, whose tokens write and read through the same edge URL.
import { CLOUDFRONT_CONTROL_PLANE_REGION } from '#names';
import { readKvs } from '../../util/local/edge-kvs';
import { statePaths } from '../../util/local/state';
import { startTestRehearsal, type TestRehearsal } from './harness';

jest.setTimeout(90_000);

let t: TestRehearsal;

beforeAll(async () => {
  t = await startTestRehearsal({ cognitoReplica: true });
}, 120_000);

afterAll(async () => {
  await t?.stop();
}, 60_000);

const tokenRequest = (url: string) =>
  fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${t.endpoints.clientId}:${t.endpoints.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });

test('the primary dies, origin-swap is refused, the kvs failover completes and secd tokens work through the edge', async () => {
  expect(t.config.regions.pri).toBe(CLOUDFRONT_CONTROL_PLANE_REGION);
  const { pri, secd } = t.endpoints.regions;
  expect(t.endpoints.tokenUrl).toBe(pri.tokenUrl);
  expect(secd.tokenUrl).toEqual(expect.any(String));
  // The replica starts INACTIVE.
  const inactive = await tokenRequest(secd.tokenUrl ?? '');
  expect(inactive.status).toBe(400);
  expect(((await inactive.json()) as { error_description: string }).error_description).toMatch(/INACTIVE/);
  expect(t.rehearsal.status().controlPlane.up).toBe(true);

  await t.rehearsal.killRegion('pri');
  await expect(tokenRequest(pri.tokenUrl ?? '')).rejects.toThrow();
  const status = t.rehearsal.status();
  expect(status.controlPlane).toEqual(expect.objectContaining({ region: CLOUDFRONT_CONTROL_PLANE_REGION, up: false }));
  expect(status.tokenEndpoints).toEqual([
    expect.objectContaining({ role: 'pri', up: false }),
    expect.objectContaining({ role: 'secd', up: true, status: 'user pool replica INACTIVE' }),
  ]);
  // The data plane still answers (the origin behind it does not).
  expect((await fetch(`${t.endpoints.edgeUrl}/v1`)).status).toBe(502);

  const refused = await t.failoverReport('failover', undefined, 'origin-swap');
  // Refused in preflight, before anything changed: the failover leaves us-east-1, where the control plane lives.
  expect(refused.outcome).toBe('refused');
  expect(refused.error).toMatch(/--traffic origin-swap needs CloudFront's control plane in us-east-1.*use --traffic kvs/);
  expect(refused.steps.map((s) => s.name)).not.toContain('promote (failover)');

  const report = await t.failover('failover');
  expect(report.outcome).toBe('completed');
  expect(report.steps.find((s) => s.name === 'tokens')?.detail).toMatch(/replica is now ACTIVE/);
  // The rehearsal's own words for where unreplicated writes survive, not Aurora's.
  expect(report.notes.join('\n')).toContain('its data is dumped before it is rebuilt');
  expect(report.notes.join('\n')).not.toContain('Aurora');
  expect(Object.values(readKvs(statePaths(t.config.stateDir).kvs).items)).toEqual([new URL(secd.apiUrl).host]);
  // Idempotent: a second run finds the replica active and the key in place.
  const again = await t.failover('failover');
  expect(again.alreadyInPlace).toEqual(expect.arrayContaining(['traffic', 'tokens']));

  const token = await t.token(undefined, secd.tokenUrl);
  const edge = `${t.endpoints.edgeUrl}/v1`;
  const written = await t.api(edge, { method: 'POST', token, body: { task: 'written in the outage', status: 'wip' } });
  expect(written.status).toBe(201);
  expect(written.region).toBe(secd.name);
  const read = await t.api(`${edge}?id=${written.json.response.id}`, { token });
  expect(read.status).toBe(200);
  expect(read.json.response.task).toBe('written in the outage');
});

test('revive brings back the region token endpoint (same URL) and the control plane stand-in', async () => {
  await t.rehearsal.reviveRegion('pri');
  const status = t.rehearsal.status();
  expect(status.controlPlane.up).toBe(true);
  expect(status.tokenEndpoints.map((e) => e.up)).toEqual([true, true]);
  expect((await tokenRequest(t.endpoints.regions.pri.tokenUrl ?? '')).status).toBe(200);
});

test('with the control plane back, origin-swap is the way home: the stale key that would override it is deleted', async () => {
  const { pri } = t.endpoints.regions;
  const report = await t.failover('switchover', 'pri', 'origin-swap');
  expect(report.outcome).toBe('completed');
  expect(report.steps.find((s) => s.name === 'traffic')?.detail).toMatch(/deleted active-api-domain \(.*\), which overrode it/);
  expect(readKvs(statePaths(t.config.stateDir).kvs).items).toEqual({});
  const answer = await fetch(`${t.endpoints.edgeUrl}/v1`);
  expect(answer.headers.get('x-todomgmt-region')).toBe(pri.name);
});
