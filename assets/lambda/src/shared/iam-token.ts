// IAM auth tokens for the RDS Proxy. A token is a presigned URL valid for 15 minutes; it is only checked
// when a connection is opened, so one token serves every new connection for 10 minutes and is then
// renewed. Open connections stay valid after the token expires.

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

/** Signs with the function's role (credentials from the Lambda environment). */
export function rdsSigner(settings: SignerSettings): SignToken {
  let signer: { getAuthToken(): Promise<string> } | undefined;
  return async () => {
    // Loaded on first use: password-mode deployments and local runs never evaluate the SDK.
    const { Signer } = await import('@aws-sdk/rds-signer');
    signer ??= new Signer({ hostname: settings.host, port: settings.port, username: settings.user, region: settings.region });
    return signer.getAuthToken();
  };
}
