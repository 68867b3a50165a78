// The regional APIs' JWT check must refuse exactly what API Gateway's Cognito authorizer refuses.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SignJWT } from 'jose';
import { CLOCK_SKEW_SECONDS, createAuthorizer, REFUSALS } from '../../util/local/authorizer';
import { jwksOf, loadOrCreateSigningKey, signAccessToken, type SigningKey } from '../../util/local/token-endpoint';

const issuer = 'http://127.0.0.1:8801';
const scope = 'api/upsert-delete';
let dir: string;
let key: SigningKey;
let otherKey: SigningKey;
let authorize: ReturnType<typeof createAuthorizer>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'todomgmt-authz-'));
  key = await loadOrCreateSigningKey(path.join(dir, 'trusted.json'));
  otherKey = await loadOrCreateSigningKey(path.join(dir, 'attacker.json'));
  authorize = createAuthorizer({ issuer, jwks: jwksOf(key), requiredScope: scope });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const token = (overrides: Partial<Parameters<typeof signAccessToken>[1]> = {}, signer = key) =>
  signAccessToken(signer, { issuer, clientId: 'client', scope, ...overrides });

test('allows a valid access token, raw or as Bearer, and hands over string claims', async () => {
  const t = await token();
  for (const header of [t, `Bearer ${t}`, `bearer   ${t}`]) {
    const decision = await authorize(header);
    expect(decision.allow).toBe(true);
    if (decision.allow) {
      expect(decision.claims).toMatchObject({ client_id: 'client', scope, token_use: 'access', iss: issuer });
      expect(typeof decision.claims.exp).toBe('string');
    }
  }
});

test('refuses with 401 Unauthorized: missing, garbled, forged, expired, wrong issuer, not an access token, alg none', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: Record<string, string | undefined> = {
    missing: undefined,
    empty: '   ',
    garbled: 'not-a-jwt',
    truncated: (await token()).slice(0, -10),
    forged: await token({}, otherKey),
    expired: await token({ now: now - 7200, ttlSeconds: 3600 }),
    'wrong issuer': await token({ issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other' }),
    'id token': await token({ extraClaims: { token_use: 'id' } }),
    unsigned: `${base64url({ alg: 'none' })}.${base64url({ iss: issuer, scope, token_use: 'access', exp: now + 60 })}.`,
    'HS256 with the public key as secret': await new SignJWT({ scope, token_use: 'access' })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .setIssuer(issuer)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk))),
  };
  for (const [what, header] of Object.entries(cases)) {
    const decision = await authorize(header);
    expect({ what, allow: decision.allow, status: decision.allow ? 200 : decision.statusCode }).toEqual({
      what,
      allow: false,
      status: 401,
    });
    if (!decision.allow) expect(decision.body).toEqual({ message: 'Unauthorized' });
  }
});

test('refuses a valid token without the scope with 403', async () => {
  const decision = await authorize(await token({ scope: 'api/read-only' }));
  expect(decision).toMatchObject({ allow: false, statusCode: 403, body: { message: 'Forbidden' } });
});

test('iat or nbf in the future beyond the clock skew is refused; within it, and expiry, are exact as documented', async () => {
  const now = Math.floor(Date.now() / 1000);
  const skew = CLOCK_SKEW_SECONDS;
  const decide = async (overrides: Parameters<typeof token>[0]) => {
    const decision = await authorize(await token(overrides));
    return decision.allow ? 'allow' : decision.reason;
  };
  expect(await decide({ now: now + skew + 60 })).toBe(REFUSALS.issuedInFuture);
  expect(await decide({ extraClaims: { nbf: now + skew + 60 } })).toBe(REFUSALS.notYetValid);
  // A few seconds ahead (clocks, rounding) is fine.
  expect(await decide({ now: now + 5 })).toBe('allow');
  expect(await decide({ extraClaims: { nbf: now + 5 } })).toBe('allow');
  // The skew does not stretch expiry: a token that expired a second ago is refused.
  expect(await decide({ now: now - 3601, ttlSeconds: 3600 })).toBe(REFUSALS.expired);
  expect(await decide({ now: now - 10, ttlSeconds: 60 })).toBe('allow');
});

test('every refusal is one of the fixed reasons, whatever the token carries', async () => {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, scope, token_use: 'access', iat: now, exp: now + 60 };
  const hostile = [
    `${base64url({ alg: 'RS256', kid: key.kid, crit: ['x\r\ny'], 'x\r\ny': 1 })}.${base64url(claims)}.c2ln`,
    `${base64url({ alg: 'RS256', kid: 'k\r\nSet-Cookie: a=b' })}.${base64url(claims)}.c2ln`,
    `${base64url({ alg: 'PS256\r\nX: y' })}.${base64url(claims)}.c2ln`,
    `${base64url({ alg: 'RS256', kid: key.kid })}.${base64url({ ...claims, iss: 'evil\r\nX: y' })}.c2ln`,
    `${base64url({ alg: 'RS256', kid: key.kid })}.${Buffer.from('not json\r\n').toString('base64url')}.c2ln`,
    await token({ extraClaims: { token_use: 'id\r\nX: y' } }),
    await token({ issuer: 'http://evil\r\nX: y' }),
  ];
  const reasons = Object.values(REFUSALS) as string[];
  for (const header of hostile) {
    const decision = await authorize(header);
    expect(decision.allow).toBe(false);
    if (!decision.allow) expect(reasons).toContain(decision.reason);
  }
});
