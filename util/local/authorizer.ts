// The regional APIs' twin of API Gateway's Cognito user-pool authorizer with an OAuth scope:
// verify the access token's RS256 signature against the token endpoint's JWKS, its issuer, expiry
// and token_use, then require the scope (Amazon Cognito Developer Guide, "Verifying JSON web tokens":
// signature, expiry, issuer, token_use). The token comes raw (as the article's curl sends it) or as
// `Bearer <token>`.
//
// A token is attacker text until its signature verifies, and even after that it is not ours to echo:
// a refusal is one of the fixed reasons below, whatever the token's header or claims contain.
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { JsonWebKeySet } from './token-endpoint';

export interface AuthorizerOptions {
  readonly issuer: string;
  readonly jwks: JsonWebKeySet;
  readonly requiredScope: string;
  /** Seconds since the epoch; tests move the clock. @default the system clock */
  readonly now?: () => number;
}

/** Claims as API Gateway hands them to the function: every value a string. */
export type Claims = Record<string, string>;

/**
 * How far in the future `nbf` and `iat` may be: issuer and verifier clocks may differ by this much
 * (both are AWS's clocks on AWS, one clock locally; the slack covers whole-second rounding and more).
 * A token issued further in the future is not one Cognito issued. Expiry gets no slack, as in
 * aws-jwt-verify, the library that guide recommends.
 */
export const CLOCK_SKEW_SECONDS = 60;

/** Every reason a token is refused, as logged and sent in `x-todomgmt-auth-error`. Fixed strings only. */
export const REFUSALS = {
  missing: 'no token in the Authorization header',
  malformed: 'malformed token',
  algorithm: 'algorithm not allowed (RS256 only)',
  unknownKey: 'signed by a key the issuer does not publish',
  signature: 'signature does not verify',
  unsupported: 'token uses an unsupported header parameter',
  expired: 'token expired',
  notYetValid: 'token not valid yet (nbf in the future)',
  issuedInFuture: 'token issued in the future (iat)',
  issuer: 'token from another issuer',
  claims: 'token claims invalid',
  notAccess: 'not an access token (token_use)',
  scope: 'token lacks the required scope',
  invalid: 'invalid token',
} as const;

export type RefusalReason = (typeof REFUSALS)[keyof typeof REFUSALS];

export type AuthDecision =
  | { readonly allow: true; readonly claims: Claims }
  | {
      readonly allow: false;
      readonly statusCode: 401 | 403;
      /** Exactly API Gateway's body, so clients that match on it behave the same. */
      readonly body: { readonly message: 'Unauthorized' | 'Forbidden' };
      /** Why, for the log and the `x-todomgmt-auth-error` header (API Gateway does not say). */
      readonly reason: RefusalReason;
    };

const unauthorized = (reason: RefusalReason): AuthDecision => ({
  allow: false,
  statusCode: 401,
  body: { message: 'Unauthorized' },
  reason,
});

export function createAuthorizer(options: AuthorizerOptions): (authorization: string | undefined) => Promise<AuthDecision> {
  const keys = createLocalJWKSet({ keys: [...options.jwks.keys] });
  const clock = options.now ?? (() => Date.now() / 1000);
  return async (authorization) => {
    const token = extractToken(authorization);
    if (!token) return unauthorized(REFUSALS.missing);
    const now = clock();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'iat'],
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(now * 1000),
      }));
    } catch (error) {
      return unauthorized(refusalOf(error));
    }
    // jose applied the skew to exp as well: expiry is exact.
    if ((payload.exp ?? 0) <= now) return unauthorized(REFUSALS.expired);
    if ((payload.iat ?? 0) > now + CLOCK_SKEW_SECONDS) return unauthorized(REFUSALS.issuedInFuture);
    if (payload.token_use !== 'access') return unauthorized(REFUSALS.notAccess);
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!scopes.includes(options.requiredScope)) {
      return { allow: false, statusCode: 403, body: { message: 'Forbidden' }, reason: REFUSALS.scope };
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

/** jose's messages quote the token (a `crit` name, a claim value): only its error class is used here. */
function refusalOf(error: unknown): RefusalReason {
  if (error instanceof errors.JWTExpired) return REFUSALS.expired;
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return REFUSALS.notYetValid;
    if (error.claim === 'iss') return REFUSALS.issuer;
    return REFUSALS.claims;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return REFUSALS.signature;
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return REFUSALS.unknownKey;
  if (error instanceof errors.JOSEAlgNotAllowed) return REFUSALS.algorithm;
  if (error instanceof errors.JOSENotSupported) return REFUSALS.unsupported;
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return REFUSALS.malformed;
  return REFUSALS.invalid;
}

/** A signed claim may still be named `__proto__`: fromEntries makes it a plain own property, as JSON.parse does. */
function toClaims(payload: JWTPayload): Claims {
  return Object.fromEntries(
    Object.entries(payload).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
  );
}
