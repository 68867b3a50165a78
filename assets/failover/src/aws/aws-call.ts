// Every AWS call of the driver goes through here: throttling and transient faults are retried with
// backoff and jitter (on the injected clock), and the errors an operator can act on are turned into
// messages that name the IAM action, the id or the region involved. A region that answered with an
// error (HTTP 5xx) is told apart from one that did not answer at all: only the latter means "down".
import type { Clock } from '../clock';
import { FailoverError, type Fault } from '../errors';

export type AwsService = 'rds' | 'cloudfront' | 'cloudfront-keyvaluestore' | 'ssm' | 'cloudwatch' | 'cognito-idp';

/** `SwitchoverGlobalClusterCommand` sent by an RDS client → `rds:SwitchoverGlobalCluster`. */
export const iamActionOf = (service: AwsService, command: object): string =>
  `${service}:${command.constructor.name.replace(/Command$/, '')}`;

export type AwsErrorKind =
  | 'no-credentials'
  | 'access-denied'
  | 'not-found'
  | 'throttled'
  /** Nothing came back: DNS, connection or time-out. */
  | 'unreachable'
  /** The service answered HTTP 5xx: the region is up, the service is failing there. */
  | 'server-error'
  | 'conflict'
  | 'other';

/** Credentials, permissions and ids are the operator's to fix; the rest is AWS (or the network) failing. */
const FAULT_OF_KIND: Readonly<Record<AwsErrorKind, Fault>> = {
  'no-credentials': 'user',
  'access-denied': 'user',
  'not-found': 'user',
  throttled: 'system',
  unreachable: 'system',
  'server-error': 'system',
  conflict: 'system',
  other: 'system',
};

export class AwsCallError extends FailoverError {
  constructor(
    readonly kind: AwsErrorKind,
    readonly action: string,
    readonly region: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, FAULT_OF_KIND[kind], { cause });
    this.name = 'AwsCallError';
  }
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'TooManyUpdates',
]);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError']);

export function classify(error: unknown): AwsErrorKind {
  const e = (error ?? {}) as SdkErrorShape;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (name === 'CredentialsProviderError' || name === 'ExpiredTokenException' || name === 'ExpiredToken') return 'no-credentials';
  if (THROTTLING.has(name) || e.$retryable?.throttling === true || status === 429) return 'throttled';
  if (ACCESS_DENIED.has(name) || (status === 403 && /not authorized|access denied/i.test(e.message ?? ''))) return 'access-denied';
  if (/NotFound(Fault|Exception)?$/.test(name) || name === 'NoSuchDistribution' || name === 'ParameterNotFound') return 'not-found';
  // The KeyValueStore answers a stale IfMatch with ConflictException (HTTP 409), CloudFront with PreconditionFailed (412).
  if (name === 'PreconditionFailed' || name === 'InvalidIfMatchVersion' || name === 'ConflictException') return 'conflict';
  if (NETWORK.has(e.code ?? '') || NETWORK.has(name) || name === 'TimeoutError' || name === 'RequestTimeout' || name === 'AbortError') {
    return 'unreachable';
  }
  if (status !== undefined && status >= 500) return 'server-error';
  return 'other';
}

export interface RetryPolicy {
  /** Attempts in total for throttled or transient calls. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 20_000 };

export interface CallRecord {
  readonly action: string;
  readonly region: string;
}

/** How long a health probe may take: it must never hold up a failover away from a region that is down. */
export const PROBE_TIMEOUT_MS = 8_000;

export class AwsCaller {
  /** What was sent where, in order; the report and the tests read it. */
  readonly sent: CallRecord[] = [];
  /** When the first call was sent (wall clock, epoch ms), for the report's startup time. */
  firstCallAt: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly random: () => number = Math.random,
  ) {}

  /** Sends with retries; `send` is a closure so the SDK's output type flows through. */
  async run<T>(service: AwsService, region: string, command: object, send: () => Promise<T>): Promise<T> {
    const action = iamActionOf(service, command);
    for (let attempt = 1; ; attempt++) {
      this.record(action, region);
      try {
        return await send();
      } catch (error) {
        const kind = classify(error);
        const retryable = kind === 'throttled' || kind === 'unreachable' || kind === 'server-error';
        if (!retryable || attempt >= this.retry.attempts) throw explain(kind, action, region, error, attempt);
        // Full jitter keeps many retrying callers from hammering the API in step.
        const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        await this.clock.sleep(Math.round(ceiling / 2 + (this.random() * ceiling) / 2));
      }
    }
  }

  /**
   * One attempt, cut off after PROBE_TIMEOUT_MS: for asking a region that may be down whether it is
   * healthy, where waiting or retrying is exactly what must not happen. Errors are classified as in run().
   */
  async probe<T>(service: AwsService, region: string, command: object, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const action = iamActionOf(service, command);
    this.record(action, region);
    try {
      return await send(AbortSignal.timeout(PROBE_TIMEOUT_MS));
    } catch (error) {
      throw explain(classify(error), action, region, error, 1);
    }
  }

  private record(action: string, region: string): void {
    this.firstCallAt ??= Date.now();
    this.sent.push({ action, region });
  }
}

function explain(kind: AwsErrorKind, action: string, region: string, error: unknown, attempts: number): AwsCallError {
  const e = (error ?? {}) as SdkErrorShape;
  const original = `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
  switch (kind) {
    case 'access-denied':
      return new AwsCallError(
        kind,
        action,
        region,
        `AccessDenied: the credentials in use may not call ${action} in ${region}. Grant ${action} ` +
          "(the failover pipeline's build role gets exactly FAILOVER_IAM_ACTIONS from assets/failover/src/aws/iam-actions.ts; " +
          `redeploy it, or add the action to the role you run this with). AWS said: ${original}`,
        error,
      );
    case 'no-credentials':
      return new AwsCallError(
        kind,
        action,
        region,
        `No usable AWS credentials for ${action} in ${region}: configure a profile (AWS_PROFILE, aws sso login) ` +
          `or run it in the failover pipeline. ${original}`,
        error,
      );
    case 'not-found':
      return new AwsCallError(kind, action, region, `${action} in ${region}: not found. ${original}`, error);
    case 'throttled':
      return new AwsCallError(
        kind,
        action,
        region,
        `${action} in ${region} was still throttled after ${attempts} attempts: run again in a minute. ${original}`,
        error,
      );
    case 'unreachable':
      return new AwsCallError(kind, action, region, `${action}: ${region} did not answer after ${attempts} attempt(s). ${original}`, error);
    case 'server-error':
      return new AwsCallError(
        kind,
        action,
        region,
        `${action} in ${region} answered with an error (HTTP ${e.$metadata?.httpStatusCode}) ${attempts} time(s): ` +
          `the region is up but the service is failing there; run again later. ${original}`,
        error,
      );
    default:
      return new AwsCallError(kind, action, region, `${action} in ${region} failed: ${original}`, error);
  }
}
