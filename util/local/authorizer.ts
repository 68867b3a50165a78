// The regional APIs' twin of API Gateway's Cognito user-pool authorizer with an OAuth scope:
// verify the access token's RS256 signature against the token endpoint's JWKS, its issuer, expiry
// and token_use, then require the scope. The token comes raw (as the article's curl sends it) or as
// `Bearer <token>`.
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { JsonWebKeySet } from './token-endpoint';

export interface AuthorizerOptions {
  readonly issuer: string;
  readonly jwks: JsonWebKeySet;
  readonly requiredScope: string;
}

/** Claims as API Gateway hands them to the function: every value a string. */
export type Claims = Record<string, string>;

export type AuthDecision =
  | { readonly allow: true; readonly claims: Claims }
  | {
      readonly allow: false;
      readonly statusCode: 401 | 403;
      /** Exactly API Gateway's body, so clients that match on it behave the same. */
      readonly body: { readonly message: 'Unauthorized' | 'Forbidden' };
      /** Why, for the log and the `x-todomgmt-auth-error` header (API Gateway does not say). */
      readonly reason: string;
    };

const unauthorized = (reason: string): AuthDecision => ({ allow: false, statusCode: 401, body: { message: 'Unauthorized' }, reason });

export function createAuthorizer(options: AuthorizerOptions): (authorization: string | undefined) => Promise<AuthDecision> {
  const keys = createLocalJWKSet({ keys: [...options.jwks.keys] });
  return async (authorization) => {
    const token = extractToken(authorization);
    if (!token) return unauthorized('no token in the Authorization header');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer: options.issuer, algorithms: ['RS256'] }));
    } catch (error) {
      return unauthorized(describe(error));
    }
    if (payload.token_use !== 'access')
      return unauthorized(`token_use is ${JSON.stringify(payload.token_use)}, an access token is required`);
    if (typeof payload.exp !== 'number') return unauthorized('token has no exp');
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!scopes.includes(options.requiredScope)) {
      return { allow: false, statusCode: 403, body: { message: 'Forbidden' }, reason: `token lacks the scope ${options.requiredScope}` };
    }
    return { allow: true, claims: toClaims(payload) };
  };
}

function extractToken(header: string | undefined): string | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  const bearer = /^Bearer\s+(.+)$/i.exec(value);
  return (bearer ? bearer[1] : value).trim() || undefined;
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim ${error.claim} invalid: ${error.message}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JWKSNoMatchingKey) return 'signed by a key the issuer does not publish';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed (RS256 only)';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'malformed token';
  return `invalid token (${(error as Error).message})`;
}

function toClaims(payload: JWTPayload): Claims {
  const claims: Claims = {};
  for (const [key, value] of Object.entries(payload)) {
    claims[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return claims;
}
