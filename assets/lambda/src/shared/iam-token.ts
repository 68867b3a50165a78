// IAM auth tokens for the RDS Proxy. A token is a presigned URL valid for 15 minutes; it is only checked
// when a connection is opened, so one token serves every new connection for 10 minutes and is then
// renewed. Open connections stay valid after the token expires.
import { createHash, createHmac } from 'node:crypto';

export const TOKEN_RENEW_AFTER_MS = 10 * 60_000;

export type SignToken = () => Promise<string>;

export class IamTokenCache {
  private token: string | undefined;
  private issuedAt = 0;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly sign: SignToken,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token with at least 5 minutes of validity left; signs a new one when needed. */
  async fresh(): Promise<string> {
    if (this.token && this.now() - this.issuedAt < TOKEN_RENEW_AFTER_MS) return this.token;
    // One signing at a time, however many connections open concurrently.
    this.pending ??= (async () => {
      try {
        const issuedAt = this.now();
        const token = await this.sign();
        this.token = token;
        this.issuedAt = issuedAt;
        return token;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  /** The last token, for the driver's synchronous auth callback (fresh() runs before every checkout). */
  current(): string {
    if (!this.token) throw new Error('IAM auth token requested before it was signed');
    return this.token;
  }
}

export interface SignerSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly region: string;
}

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The function role's credentials, which the Lambda runtime puts in the environment. */
export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('DB_AUTH=iam needs AWS credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (the Lambda runtime sets them)');
  }
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/**
 * Signs with the function's role. This is the token @aws-sdk/rds-signer makes (a SigV4-presigned
 * `rds-db:connect` URL, valid 15 minutes; test/lambda/settings.test.ts checks they are identical),
 * built with node:crypto: the SDK signer brings ~400 KB of credential providers into every bundle and
 * ~40 ms to each cold start, for credentials that Lambda already hands over in the environment.
 */
export function rdsSigner(settings: SignerSettings, credentials: () => AwsCredentials = credentialsFromEnv): SignToken {
  // Signing itself is synchronous; inside then() a missing credential still arrives as a rejection.
  return () => Promise.resolve().then(() => presignRdsConnect(settings, credentials(), new Date()));
}

const TOKEN_LIFETIME_SECONDS = 900;

export function presignRdsConnect(settings: SignerSettings, credentials: AwsCredentials, now: Date): string {
  const longDate = now.toISOString().replace(/[-:]|\.\d{3}/g, ''); // 20260101T120000Z
  const shortDate = longDate.slice(0, 8);
  const scope = `${shortDate}/${settings.region}/rds-db/aws4_request`;
  const host = `${settings.host}:${settings.port}`;
  const query: Record<string, string> = {
    Action: 'connect',
    DBUser: settings.user,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': longDate,
    'X-Amz-Expires': String(TOKEN_LIFETIME_SECONDS),
    ...(credentials.sessionToken ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
    'X-Amz-SignedHeaders': 'host',
  };
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((key) => `${escapeUri(key)}=${escapeUri(query[key])}`)
    .join('&');
  const emptyPayloadHash = sha256Hex('');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${host}`, '', 'host', emptyPayloadHash].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', longDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${credentials.secretAccessKey}`, shortDate);
  for (const part of [settings.region, 'rds-db', 'aws4_request']) key = hmac(key, part);
  const signature = hmac(key, stringToSign).toString('hex');
  return `${host}/?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

// RFC 3986 unreserved characters stay, everything else is percent-encoded (SigV4's URI encoding).
const escapeUri = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
