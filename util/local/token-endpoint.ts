// A token endpoint that answers like Cognito's for the client-credentials grant: same URL paths, same
// request format (HTTP Basic client id/secret, form-encoded grant_type and scope), RS256 access tokens
// with Cognito's claims and `kid` header, a JWKS document, and OAuth2 error bodies.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { ACCESS_TOKEN_VALIDITY_MINUTES } from '#routes';
import {
  BodyAbortedError,
  BodyTooLargeError,
  closeServer,
  createServer,
  listen,
  readBody,
  requestUrl,
  sendError,
  sendJson,
  type ServerLimits,
} from './http-util';
import { writeJson } from './state';
import { INACTIVE_REPLICA_ERROR } from './token-replica';

export const TOKEN_PATH = '/oauth2/token';
export const JWKS_PATH = '/.well-known/jwks.json';
export const ACCESS_TOKEN_TTL_SECONDS = ACCESS_TOKEN_VALIDITY_MINUTES * 60;

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** Public half, as published in the JWKS. */
  readonly publicJwk: JWK;
}

export interface JsonWebKeySet {
  readonly keys: readonly JWK[];
}

/** Loads the RS256 key from `file`, or generates one and saves it (0600) at first start. */
export async function loadOrCreateSigningKey(file: string): Promise<SigningKey> {
  if (fs.existsSync(file)) {
    const jwk = JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
    return signingKeyFromJwk(jwk);
  }
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  const stored: JWK = { ...jwk, kid, alg: 'RS256', use: 'sig' };
  writeJson(file, stored);
  return signingKeyFromJwk(stored);
}

export async function signingKeyFromJwk(jwk: JWK): Promise<SigningKey> {
  if (jwk.kty !== 'RSA' || !jwk.d || !jwk.kid) throw new Error('the signing key must be a private RSA JWK with a kid');
  const privateKey = (await importJWK(jwk, 'RS256')) as CryptoKey;
  const { kty, n, e, kid } = jwk;
  return { kid, privateKey, publicJwk: { kty, n, e, kid, alg: 'RS256', use: 'sig' } };
}

export function jwksOf(...keys: SigningKey[]): JsonWebKeySet {
  return { keys: keys.map((k) => k.publicJwk) };
}

export interface AccessTokenRequest {
  readonly issuer: string;
  readonly clientId: string;
  /** Space-separated, as in the `scope` claim. */
  readonly scope: string;
  readonly ttlSeconds?: number;
  /** Seconds since the epoch; tests move it to mint expired tokens. */
  readonly now?: number;
  /** Overrides for tests (e.g. `token_use: 'id'`). */
  readonly extraClaims?: Readonly<Record<string, unknown>>;
}

/** Cognito's access-token claim set for the client-credentials grant. */
export async function signAccessToken(key: SigningKey, request: AccessTokenRequest): Promise<string> {
  const now = request.now ?? Math.floor(Date.now() / 1000);
  return new SignJWT({
    sub: request.clientId,
    token_use: 'access',
    scope: request.scope,
    auth_time: now,
    version: 2,
    client_id: request.clientId,
    ...request.extraClaims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setIssuer(request.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + (request.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS))
    .setJti(randomUUID())
    .sign(key.privateKey);
}

export interface TokenEndpointOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Scopes the app client may ask for; all of them when the request has no `scope`. */
  readonly allowedScopes: readonly string[];
  readonly signingKey: SigningKey;
  /** The `iss` of its tokens; default its own base URL. A replica's endpoint passes the primary's. */
  readonly issuer?: string;
  /** A user pool replica's status, read per request: INACTIVE answers 400 (token-replica.ts). */
  readonly active?: () => boolean;
  readonly port?: number;
  readonly host?: string;
  readonly ttlSeconds?: number;
  /** @default SERVER_LIMITS */
  readonly limits?: Partial<ServerLimits>;
  readonly log?: (message: string) => void;
}

export interface TokenEndpoint {
  /** Base URL; also the `iss` of every token (as a Cognito user pool URL is). */
  readonly issuer: string;
  readonly tokenUrl: string;
  readonly jwksUrl: string;
  readonly port: number;
  readonly jwks: JsonWebKeySet;
  close(): Promise<void>;
}

class OAuthError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    readonly description?: string,
  ) {
    super(error);
  }
}

export async function startTokenEndpoint(options: TokenEndpointOptions): Promise<TokenEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const jwks = jwksOf(options.signingKey);
  let issuer = '';

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Same envelope as every other hop; a client that went away is owed nothing.
      if (error instanceof BodyTooLargeError) return sendError(res, 413);
      if (error instanceof BodyAbortedError) return;
      options.log?.(`token endpoint: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.destroy();
    });
  }, options.limits);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = requestUrl(req);
    if (!url) return sendJson(res, 400, { error: 'invalid_request' });
    if (url.pathname === JWKS_PATH) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET' });
      return sendJson(res, 200, jwks, { 'cache-control': 'max-age=3600' });
    }
    if (url.pathname !== TOKEN_PATH) return sendJson(res, 404, { error: 'not_found', error_description: `try POST ${TOKEN_PATH}` });
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request', error_description: 'use POST' }, { allow: 'POST' });
    if (options.active && !options.active()) {
      req.resume();
      return sendJson(res, 400, INACTIVE_REPLICA_ERROR, { 'cache-control': 'no-store' });
    }
    try {
      const token = await grant(req);
      sendJson(res, 200, token, { 'cache-control': 'no-store', pragma: 'no-cache' });
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      const body = error.description ? { error: error.error, error_description: error.description } : { error: error.error };
      const headers = error.statusCode === 401 ? { 'www-authenticate': 'Basic realm="token"' } : {};
      sendJson(res, error.statusCode, body, { 'cache-control': 'no-store', ...headers });
    }
  }

  async function grant(req: http.IncomingMessage) {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const raw = (await readBody(req)).toString('utf8');
    if (contentType !== 'application/x-www-form-urlencoded') {
      throw new OAuthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(raw);
    authenticateClient(req.headers.authorization, form);

    const grantType = form.get('grant_type');
    if (!grantType) throw new OAuthError(400, 'invalid_request', 'grant_type is missing');
    if (grantType !== 'client_credentials') throw new OAuthError(400, 'unsupported_grant_type');

    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const unknown = requested.filter((s) => !options.allowedScopes.includes(s));
    if (unknown.length > 0) throw new OAuthError(400, 'invalid_scope');
    const scope = (requested.length > 0 ? [...new Set(requested)] : options.allowedScopes).join(' ');

    const ttl = options.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS;
    const accessToken = await signAccessToken(options.signingKey, { issuer, clientId: options.clientId, scope, ttlSeconds: ttl });
    return { access_token: accessToken, expires_in: ttl, token_type: 'Bearer' };
  }

  function authenticateClient(authorization: string | undefined, form: URLSearchParams): void {
    let id: string | null;
    let secret: string | null;
    const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new OAuthError(401, 'invalid_client');
      id = decoded.slice(0, colon);
      secret = decoded.slice(colon + 1);
    } else {
      // Cognito also accepts client_secret_post.
      id = form.get('client_id');
      secret = form.get('client_secret');
    }
    if (!id || !secret || !safeEqual(id, options.clientId) || !safeEqual(secret, options.clientSecret)) {
      throw new OAuthError(401, 'invalid_client');
    }
  }

  const port = await listen(server, options.port ?? 0, host, 'token endpoint (LOCAL_TOKEN_PORT)');
  const base = `http://${host}:${port}`;
  issuer = options.issuer ?? base;
  return {
    issuer,
    tokenUrl: `${base}${TOKEN_PATH}`,
    jwksUrl: `${base}${JWKS_PATH}`,
    port,
    jwks,
    close: () => closeServer(server),
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
