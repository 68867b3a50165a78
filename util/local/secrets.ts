// Credentials of the rehearsal, generated at first start and kept (0600) so that tokens, clients
// and database users survive restarts. Never committed: the state dir ignores itself (state.ts).
import { randomBytes } from 'node:crypto';
import { readJson, writeJson } from './state';

export interface LocalSecrets {
  /** Cognito-like app client: 26 lowercase alphanumerics. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Database user the handlers use: DML + DDL on the app database only, so read_only binds it. */
  readonly appUser: string;
  readonly appPassword: string;
  /** Replication user (REPLICATION SLAVE), used by each replica to pull from its primary. */
  readonly replicationUser: string;
  readonly replicationPassword: string;
  /** Administrative user over TCP for the supervisor and the failover driver (the local "RDS API"). */
  readonly adminUser: string;
  readonly adminPassword: string;
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(length: number, alphabet = ALPHANUMERIC): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps the distribution uniform.
  for (const b of bytes) {
    if (b < 256 - (256 % alphabet.length)) out += alphabet[b % alphabet.length];
    if (out.length === length) return out;
  }
  return out + randomString(length - out.length, alphabet);
}

export function generateSecrets(): LocalSecrets {
  return {
    clientId: randomString(26),
    clientSecret: randomString(51),
    appUser: 'todo_app',
    appPassword: randomString(32),
    replicationUser: 'todo_repl',
    replicationPassword: randomString(32),
    adminUser: 'todo_admin',
    adminPassword: randomString(32),
  };
}

export function loadOrCreateSecrets(file: string): LocalSecrets {
  const existing = readJson<LocalSecrets>(file);
  if (existing) {
    const missing = Object.entries(generateSecrets()).filter(([key]) => !(existing as unknown as Record<string, unknown>)[key]);
    if (missing.length > 0) {
      throw new Error(`${file} lacks ${missing.map(([k]) => k).join(', ')}; remove the state dir (npm run local -- stop) to start fresh`);
    }
    return existing;
  }
  const secrets = generateSecrets();
  writeJson(file, secrets);
  return secrets;
}

export function loadSecrets(file: string): LocalSecrets {
  const secrets = readJson<LocalSecrets>(file);
  if (!secrets) throw new Error(`${file} not found: start the rehearsal first (npm run local -- start)`);
  return secrets;
}
