// COGNITO_REPLICA=true, locally: the secondary region gets its own token endpoint, the twin of the user
// pool replica (lib/constructs/user-pool-replica.ts). It signs with the same key and the same issuer
// as the primary's, as Cognito's multi-Region issuer keeps tokens valid in every replica's region
// (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-multi-region.html). A new replica
// is INACTIVE until UpdateUserPoolReplica sets it ACTIVE (callable from either region:
// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UpdateUserPoolReplica.html);
// its status is a file in the state dir, so the failover CLI (another process) can activate it.
import { loadConfig, type Env } from '#config';
import { readJson, withFileLock, writeJson } from './state';

export type ReplicaStatus = 'ACTIVE' | 'INACTIVE';

/** COGNITO_REPLICA from .env / the environment, validated as the CDK app validates it. */
export function cognitoReplicaEnabled(env: Env): boolean {
  return loadConfig({ ...env, AWS_ACCOUNT: undefined, CDK_DEFAULT_ACCOUNT: undefined }).cognitoReplica;
}

export function readReplicaStatus(file: string): ReplicaStatus {
  return readJson<{ status?: string }>(file)?.status === 'ACTIVE' ? 'ACTIVE' : 'INACTIVE';
}

/** Sets the status; returns the one it had, so a caller can say whether anything changed. */
export function setReplicaStatus(file: string, status: ReplicaStatus): Promise<ReplicaStatus> {
  return withFileLock(file, () => {
    const before = readReplicaStatus(file);
    if (before !== status) writeJson(file, { status, updatedAt: new Date().toISOString() });
    return before;
  });
}

/**
 * What the inactive replica answers a token request. Cognito does not document the error of a token
 * request to an INACTIVE replica; this follows the OAuth2 error format of its token endpoint.
 */
export const INACTIVE_REPLICA_ERROR = {
  error: 'invalid_request',
  error_description: 'this user pool replica is INACTIVE: activate it (UpdateUserPoolReplica Status=ACTIVE) or use the primary region',
} as const;
