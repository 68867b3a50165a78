// The local token endpoint must answer like Cognito's for client credentials: these are the requests
// the article's curl and the README make, plus the refusals a client must be able to rely on.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { loadOrCreateSigningKey, startTokenEndpoint, type TokenEndpoint } from '../../util/local/token-endpoint';

const clientId = 'abcdefghijklmnopqrstuvwxyz';
const clientSecret = 's3cr3t-value';
const scope = 'api/upsert-delete';
let dir: string;
let endpoint: TokenEndpoint;

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = 'application/x-www-form-urlencoded';

function post(body: string, headers: Record<string, string> = { authorization: basic(clientId, clientSecret), 'content-type': form }) {
  return fetch(endpoint.tokenUrl, { method: 'POST', headers, body });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-token-'));
  const signingKey = await loadOrCreateSigningKey(path.join(dir, 'key.json'));
  endpoint = await startTokenEndpoint({ clientId, clientSecret, allowedScopes: [scope], signingKey, port: 0 });
});

afterAll(async () => {
  await endpoint.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('issues an RS256 access token with Cognito claims that verifies against the JWKS', async () => {
  const res = await post('grant_type=client_credentials');
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = (await res.json()) as { access_token: string };
  expect(body).toEqual({ access_token: expect.any(String), expires_in: 3600, token_type: 'Bearer' });

  const jwks = (await (await fetch(endpoint.jwksUrl)).json()) as JSONWebKeySet;
  expect(jwks.keys).toHaveLength(1);
  expect(jwks.keys[0]).not.toHaveProperty('d');
  const header = decodeProtectedHeader(body.access_token);
  expect(header).toEqual({ alg: 'RS256', kid: jwks.keys[0].kid });
  const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), { issuer: endpoint.issuer });
  expect(payload).toMatchObject({ iss: endpoint.issuer, client_id: clientId, sub: clientId, scope, token_use: 'access', version: 2 });
  expect(payload.exp! - payload.iat!).toBe(3600);
  expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
});

test('accepts an explicit scope and client_secret_post', async () => {
  const res = await post(
    `grant_type=client_credentials&scope=${encodeURIComponent(scope)}&client_id=${clientId}&client_secret=${clientSecret}`,
    {
      'content-type': form,
    },
  );
  expect(res.status).toBe(200);
});

test.each([
  ['a wrong secret', { authorization: basic(clientId, 'wrong'), 'content-type': form }],
  ['an unknown client', { authorization: basic('nobody', clientSecret), 'content-type': form }],
  ['no credentials', { 'content-type': form }],
  ['garbled Basic credentials', { authorization: 'Basic !!!', 'content-type': form }],
])('refuses %s with 401 invalid_client', async (_what, headers) => {
  const res = await post('grant_type=client_credentials', headers);
  expect(res.status).toBe(401);
  expect(await res.json()).toEqual({ error: 'invalid_client' });
});

test('refuses other grants, unknown scopes and non-form bodies', async () => {
  const grant = await post('grant_type=password&username=a&password=b');
  expect(grant.status).toBe(400);
  expect(await grant.json()).toEqual({ error: 'unsupported_grant_type' });

  const badScope = await post('grant_type=client_credentials&scope=api/admin');
  expect(badScope.status).toBe(400);
  expect(await badScope.json()).toEqual({ error: 'invalid_scope' });

  const json = await post('{"grant_type":"client_credentials"}', {
    authorization: basic(clientId, clientSecret),
    'content-type': 'application/json',
  });
  expect(json.status).toBe(400);
  expect(((await json.json()) as { error: string }).error).toBe('invalid_request');

  const get = await fetch(endpoint.tokenUrl);
  expect(get.status).toBe(405);
});

test('keeps the signing key across restarts, private to the owner', async () => {
  const file = path.join(dir, 'key.json');
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const again = await loadOrCreateSigningKey(file);
  const jwks = (await (await fetch(endpoint.jwksUrl)).json()) as JSONWebKeySet;
  expect(again.kid).toBe(jwks.keys[0].kid);
});

test('a replica endpoint signs with the issuer it is given and refuses tokens while INACTIVE', async () => {
  let active = false;
  const signingKey = await loadOrCreateSigningKey(path.join(dir, 'key.json'));
  const replica = await startTokenEndpoint({
    clientId,
    clientSecret,
    allowedScopes: [scope],
    signingKey,
    issuer: endpoint.issuer,
    active: () => active,
  });
  try {
    const ask = () =>
      fetch(replica.tokenUrl, {
        method: 'POST',
        headers: { authorization: basic(clientId, clientSecret), 'content-type': form },
        body: 'grant_type=client_credentials',
      });
    const refused = await ask();
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/INACTIVE/) });
    active = true;
    const granted = await ask();
    expect(granted.status).toBe(200);
    const { access_token: token } = (await granted.json()) as { access_token: string };
    const jwks = (await (await fetch(endpoint.jwksUrl)).json()) as JSONWebKeySet;
    // Verifies as the primary's own tokens do: same issuer, same keys.
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: endpoint.issuer });
    expect(payload.client_id).toBe(clientId);
    expect(replica.issuer).toBe(endpoint.issuer);
    expect(replica.tokenUrl).not.toBe(endpoint.tokenUrl);
  } finally {
    await replica.close();
  }
});
