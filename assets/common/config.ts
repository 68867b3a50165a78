// The one place configuration is validated. Entry points (bin/app.ts, the local rehearsal, the failover
// CLI, the scripts) hand it their environment; everything downstream receives a typed AppConfig.
// No CDK import here: the runtime programs load it as `#config`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotEnv } from 'dotenv';
import { FAILOVER_MODES, type FailoverMode, type RegionRole } from '#names';
import { TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';

/** The checkout this module lives in (assets/common/): where `.env` is, and where `.local/` goes by default. */
const REPO_ROOT = path.join(__dirname, '..', '..');

export interface AppConfig {
  /** Target account; undefined means "offline synth" and stacks get a labelled placeholder. */
  readonly account: string | undefined;
  readonly regions: Readonly<Record<RegionRole, string>>;
  readonly vpcCidr: string;
  readonly db: {
    readonly name: string;
    readonly minCapacity: number;
    readonly maxCapacity: number;
    readonly backupRetentionDays: number;
    readonly deletionProtection: boolean;
  };
  readonly cognitoDomainPrefix: string;
  readonly failoverMode: FailoverMode;
  /** Optional custom domain for the CloudFront distribution; with it, viewers must use TLS 1.2 or later. */
  readonly edgeDomain?: { readonly domainName: string; readonly certificateArn: string };
  /** Where each region's alarms send e-mail (through an SNS topic in that region); undefined: alarms without actions. */
  readonly alarmEmail?: string;
  /**
   * Reserved concurrency per function, the same in both regions. A function not listed reserves none and
   * shares the account's unreserved pool (the default: an account must keep 100 unreserved, so a new
   * account with a concurrency quota of 10 cannot reserve any).
   */
  readonly reservedConcurrency: Readonly<Partial<Record<ToDoFunctionName, number>>>;
  /** Stage throttling of each regional API (token bucket: steady requests per second, bucket size). */
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Days the CloudFront access logs are kept in their S3 bucket. */
  readonly edgeLogRetentionDays: number;
  /**
   * `WAF=true`: a CloudFront web ACL (managed common rules, a rate limit per client IP) and, on each regional
   * API stage, a web ACL that admits only requests carrying the secret header CloudFront adds.
   */
  readonly waf?: { readonly rateLimitPer5Minutes: number };
  /** `COGNITO_REPLICA=true`: the user pool is replicated to the secondary region, whose API accepts the replica's tokens. */
  readonly cognitoReplica: boolean;
  /** Where the CDK pipeline builds from. */
  readonly source: PipelineSource;
}

/**
 * The CDK pipeline's source. `codecommit` (the default, the article's flow): the stack creates
 * `ToDoMgmtRepo` and local_codecommit_setup.sh pushes to it. CodeCommit is "no longer available to new
 * customers" (AWS CodeCommit API Reference, CreateRepository: new accounts get OperationNotAllowedException),
 * so `connection` builds from a GitHub, GitLab or Bitbucket repository through an AWS CodeConnections
 * connection (CodePipeline user guide, "CodeStarSourceConnection for Bitbucket Cloud, GitHub, GitHub
 * Enterprise Server, GitLab.com, and GitLab self-managed actions"); no CodeCommit repository is created.
 */
export type PipelineSource =
  | { readonly kind: 'codecommit' }
  | {
      readonly kind: 'connection';
      /** `arn:aws:codeconnections:<region>:<account>:connection/<id>` (or the older `codestar-connections`). */
      readonly connectionArn: string;
      /** `<owner>/<name>` at the provider. */
      readonly repository: string;
      readonly branch: string;
    };

/** The `.env` keys of a connection source: all three or none. */
export const SOURCE_KEYS = ['SOURCE_CONNECTION_ARN', 'SOURCE_REPOSITORY', 'SOURCE_BRANCH'] as const;

/** Used only when no account is known, so that `cdk synth` works offline. Never deployable. */
export const PLACEHOLDER_ACCOUNT = '111111111111';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration (.env):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** `.env` values, overridden by the process environment (so CI and one-off runs can change a key). */
export function readEnv(dotEnvPath = path.join(REPO_ROOT, '.env'), processEnv: Env = process.env): Env {
  const fromFile = fs.existsSync(dotEnvPath) ? parseDotEnv(fs.readFileSync(dotEnvPath)) : {};
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [key, value] of Object.entries(processEnv)) {
    if (value !== undefined && value !== '') merged[key] = value;
  }
  return merged;
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const ACCOUNT = /^\d{12}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,40}[a-z0-9])?$/;
// Connection ARNs as the CodeConnections API reference gives them; the service was renamed from CodeStar
// Connections in 2024 and both prefixes stay valid.
const CONNECTION_ARN =
  /^arn:aws(-[a-z]+)*:(codeconnections|codestar-connections):[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:connection\/[A-Za-z0-9-]+$/;
// CDK Pipelines' connection source takes exactly `<owner>/<repo>`.
const OWNER_REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?\/[A-Za-z0-9._-]+$/;
// A branch name git accepts (git check-ref-format, the common subset): no spaces, `..`, `~^:?*[\`, no leading
// `-` or `/`, no trailing `/`, `.` or `.lock`.
const BRANCH = /^(?![-/])(?!.*(\.\.|\/\/|@\{))(?!.*(\/|\.|\.lock)$)[A-Za-z0-9._/-]+$/;

export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const get = (key: string, fallback?: string): string => {
    const value = env[key]?.trim() || fallback;
    if (value === undefined) {
      problems.push(`${key} is missing: set it in .env`);
      return '';
    }
    return value;
  };
  const check = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  const number = (key: string, fallback: string, valid: (n: number) => boolean, rule: string): number => {
    const raw = get(key, fallback);
    const n = Number(raw);
    check(raw !== '' && Number.isFinite(n) && valid(n), `${key}=${raw} is invalid: ${rule}`);
    return n;
  };
  const bool = (key: string, fallback: string): boolean => {
    const raw = get(key, fallback).toLowerCase();
    check(raw === 'true' || raw === 'false', `${key}=${raw} is invalid: use true or false`);
    return raw === 'true';
  };

  const pri = get('AWS_SRC_REGION');
  const secd = get('AWS_DEST_REGION');
  check(pri === '' || REGION.test(pri), `AWS_SRC_REGION=${pri} is not an AWS region name (e.g. us-east-1)`);
  check(secd === '' || REGION.test(secd), `AWS_DEST_REGION=${secd} is not an AWS region name (e.g. us-east-2)`);
  check(pri === '' || pri !== secd, 'AWS_SRC_REGION and AWS_DEST_REGION must differ: active-passive needs two regions');

  const account = env.AWS_ACCOUNT?.trim() || env.CDK_DEFAULT_ACCOUNT?.trim() || undefined;
  check(account === undefined || ACCOUNT.test(account), `AWS_ACCOUNT=${account} must be a 12-digit account id (or empty)`);

  const vpcCidr = get('VPC_CIDR_RANGE', '10.0.0.0/16');
  const cidr = CIDR.exec(vpcCidr);
  check(
    cidr !== null && cidr.slice(1, 5).every((o) => Number(o) <= 255) && Number(cidr[5]) >= 16 && Number(cidr[5]) <= 24,
    `VPC_CIDR_RANGE=${vpcCidr} is invalid: use an IPv4 CIDR from /16 to /24, e.g. 10.0.0.0/16`,
  );

  const halfStep = (n: number) => Number.isInteger(n * 2);
  const minCapacity = number('DB_MIN_CAPACITY', '0.5', (n) => n >= 0.5 && n <= 256 && halfStep(n), 'ACUs from 0.5 to 256 in 0.5 steps');
  const maxCapacity = number('DB_MAX_CAPACITY', '4', (n) => n >= 1 && n <= 256 && halfStep(n), 'ACUs from 1 to 256 in 0.5 steps');
  check(!(maxCapacity < minCapacity), `DB_MAX_CAPACITY=${maxCapacity} is below DB_MIN_CAPACITY=${minCapacity}`);
  const backupRetentionDays = number(
    'DB_BACKUP_RETENTION_DAYS',
    '7',
    (n) => Number.isInteger(n) && n >= 1 && n <= 35,
    'whole days from 1 to 35',
  );
  const deletionProtection = bool('DB_DELETION_PROTECTION', 'false');

  const dbName = get('DB_NAME', 'todos');
  check(/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(dbName), `DB_NAME=${dbName} is invalid: letters, digits and _ starting with a letter`);

  const cognitoDomainPrefix = get('COGNITO_DOMAIN_PREFIX', 'todomgmt-dev-api');
  check(
    DOMAIN_PREFIX.test(cognitoDomainPrefix),
    `COGNITO_DOMAIN_PREFIX=${cognitoDomainPrefix} is invalid: lowercase letters, digits and -`,
  );

  const failoverMode = get('FAILOVER_MODE', 'switchover') as FailoverMode;
  check(FAILOVER_MODES.includes(failoverMode), `FAILOVER_MODE=${failoverMode} is invalid: use ${FAILOVER_MODES.join(' | ')}`);

  const edgeDomainName = env.CLOUDFRONT_DOMAIN_NAME?.trim() || undefined;
  const edgeCertificateArn = env.CLOUDFRONT_CERTIFICATE_ARN?.trim() || undefined;
  check(
    (edgeDomainName === undefined) === (edgeCertificateArn === undefined),
    'CLOUDFRONT_DOMAIN_NAME and CLOUDFRONT_CERTIFICATE_ARN go together: set both (custom domain) or neither (*.cloudfront.net)',
  );
  check(
    edgeDomainName === undefined || /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(edgeDomainName),
    `CLOUDFRONT_DOMAIN_NAME=${edgeDomainName} is not a lowercase DNS name (e.g. api.example.com)`,
  );
  check(
    edgeCertificateArn === undefined || /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/.test(edgeCertificateArn),
    `CLOUDFRONT_CERTIFICATE_ARN=${edgeCertificateArn} must be an ACM certificate ARN in us-east-1 ` +
      '(CloudFront only uses certificates from there)',
  );

  const alarmEmail = env.ALARM_EMAIL?.trim() || undefined;
  check(
    alarmEmail === undefined || /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/.test(alarmEmail),
    `ALARM_EMAIL=${alarmEmail} is not one e-mail address (e.g. ops@example.com); leave it empty for alarms without notifications`,
  );

  const reservedConcurrency = parseReservedConcurrency(env.LAMBDA_RESERVED_CONCURRENCY, problems);
  // API Gateway's own account-level default quotas per region (10,000 requests/s, burst 5,000) are the ceiling:
  // a stage cannot usefully be set above them. https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
  const validRate = (n: number) => n > 0 && n <= 10000;
  const validBurst = (n: number) => Number.isInteger(n) && n >= 1 && n <= 5000;
  const throttleRate = number(
    'API_THROTTLE_RATE',
    '100',
    validRate,
    'requests per second, above 0 and at most 10000 (the account default per region)',
  );
  const throttleBurst = number(
    'API_THROTTLE_BURST',
    '200',
    validBurst,
    'a whole number of requests from 1 to 5000 (the account default per region)',
  );
  check(
    !(validRate(throttleRate) && validBurst(throttleBurst) && throttleBurst < throttleRate),
    `API_THROTTLE_BURST=${throttleBurst} is below API_THROTTLE_RATE=${throttleRate}: the bucket must hold at least one second of the rate`,
  );

  const edgeLogRetentionDays = number(
    'EDGE_LOG_RETENTION_DAYS',
    '90',
    (n) => Number.isInteger(n) && n >= 1 && n <= 3650,
    'whole days from 1 to 3650',
  );

  const waf = bool('WAF', 'false');
  // CloudFront-scope web ACLs exist only in us-east-1, and this app creates the distribution in the primary's stack.
  // https://docs.aws.amazon.com/waf/latest/developerguide/cloudfront-features.html
  check(
    !waf || pri === '' || pri === 'us-east-1',
    `WAF=true needs AWS_SRC_REGION=us-east-1 (it is ${pri}): AWS WAF creates web ACLs for CloudFront only in us-east-1, ` +
      'where this app has no stack unless it is the primary; set WAF=false, or make us-east-1 the primary',
  );
  // AWS WAF rate-based rules: a limit from 10 to 2,000,000,000 requests in the evaluation window (5 minutes here).
  const wafRateLimit = number(
    'WAF_RATE_LIMIT',
    '1000',
    (n) => Number.isInteger(n) && n >= 10 && n <= 2_000_000_000,
    'requests per client IP in 5 minutes, a whole number from 10 to 2000000000',
  );

  const cognitoReplica = bool('COGNITO_REPLICA', 'false');

  const source = pipelineSource(env, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    account,
    regions: { pri, secd },
    vpcCidr,
    db: { name: dbName, minCapacity, maxCapacity, backupRetentionDays, deletionProtection },
    cognitoDomainPrefix,
    failoverMode,
    edgeDomain: edgeDomainName && edgeCertificateArn ? { domainName: edgeDomainName, certificateArn: edgeCertificateArn } : undefined,
    alarmEmail,
    reservedConcurrency,
    apiThrottle: { rateLimit: throttleRate, burstLimit: throttleBurst },
    edgeLogRetentionDays,
    waf: waf ? { rateLimitPer5Minutes: wafRateLimit } : undefined,
    cognitoReplica,
    source,
  };
}

/** `GetToDos=50,UpsertToDos=20`: whole numbers from 1 (0 would stop the function), function names from the route table. */
function parseReservedConcurrency(raw: string | undefined, problems: string[]): Partial<Record<ToDoFunctionName, number>> {
  const key = 'LAMBDA_RESERVED_CONCURRENCY';
  const names = Object.keys(TODO_FUNCTIONS) as ToDoFunctionName[];
  const result: Partial<Record<ToDoFunctionName, number>> = {};
  for (const entry of (raw ?? '').split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const match = /^([A-Za-z]+)\s*=\s*(\S+)$/.exec(entry);
    const name = match?.[1] as ToDoFunctionName | undefined;
    if (!match || name === undefined) {
      problems.push(`${key}: '${entry}' is not Function=N (e.g. ${key}=GetToDos=50,UpsertToDos=20)`);
    } else if (!names.includes(name)) {
      problems.push(`${key}: '${name}' is not a function: use ${names.join(', ')}`);
    } else if (result[name] !== undefined) {
      problems.push(`${key}: ${name} is given twice`);
    } else if (!/^[1-9]\d{0,5}$/.test(match[2])) {
      problems.push(
        `${key}: ${name}=${match[2]} is invalid: a whole number from 1 (0 would stop the function; leave it out to reserve none)`,
      );
    } else {
      result[name] = Number(match[2]);
    }
  }
  return result;
}

function pipelineSource(env: Env, problems: string[]): PipelineSource {
  const values = SOURCE_KEYS.map((key) => env[key]?.trim() ?? '');
  const set = SOURCE_KEYS.filter((_key, i) => values[i] !== '');
  if (set.length === 0) return { kind: 'codecommit' };
  if (set.length < SOURCE_KEYS.length) {
    const missing = SOURCE_KEYS.filter((key) => !set.includes(key));
    const verb = (keys: readonly string[]) => (keys.length === 1 ? 'is' : 'are');
    problems.push(
      `${set.join(' and ')} ${verb(set)} set but ${missing.join(' and ')} ${verb(missing)} not: ${SOURCE_KEYS.join(', ')} go ` +
        'together (a GitHub, GitLab or Bitbucket repository through CodeConnections); set all three, or none for CodeCommit',
    );
    return { kind: 'codecommit' };
  }
  const [connectionArn, repository, branch] = values;
  const before = problems.length;
  if (!CONNECTION_ARN.test(connectionArn))
    problems.push(
      `SOURCE_CONNECTION_ARN=${connectionArn} is not a connection ARN: copy it from the console ` +
        '(Developer Tools > Settings > Connections), e.g. arn:aws:codeconnections:us-east-1:123456789012:connection/<id>',
    );
  if (!OWNER_REPOSITORY.test(repository) || repository.endsWith('.git'))
    problems.push(`SOURCE_REPOSITORY=${repository} is invalid: use <owner>/<name> as the provider shows it, e.g. my-org/todomgmt`);
  if (!BRANCH.test(branch)) problems.push(`SOURCE_BRANCH=${branch} is not a branch name git accepts, e.g. main`);
  if (problems.length > before) return { kind: 'codecommit' };
  return { kind: 'connection', connectionArn, repository, branch };
}

/** Ports and state of the local two-region rehearsal (`npm run local`). 0 = any free port. */
export interface LocalConfig {
  readonly regions: Readonly<Record<RegionRole, string>>;
  readonly dbName: string;
  /** Where `.local/` lives: keys, client secret, both databases, topology, edge config. */
  readonly stateDir: string;
  readonly ports: {
    readonly edge: number;
    readonly token: number;
    /** COGNITO_REPLICA=true: the secondary's replica token endpoint. */
    readonly tokenSecd: number;
    readonly api: Readonly<Record<RegionRole, number>>;
    readonly db: Readonly<Record<RegionRole, number>>;
  };
}

export const LOCAL_PORT_DEFAULTS = {
  LOCAL_EDGE_PORT: 8800,
  LOCAL_TOKEN_PORT: 8801,
  LOCAL_SECD_TOKEN_PORT: 8802,
  LOCAL_PRI_API_PORT: 8811,
  LOCAL_SECD_API_PORT: 8812,
  LOCAL_PRI_DB_PORT: 13306,
  LOCAL_SECD_DB_PORT: 13307,
} as const;

/** The rehearsal needs only the region names and DB name of the AWS config, plus its own LOCAL_* keys. */
export function loadLocalConfig(env: Env, repoRoot = REPO_ROOT): LocalConfig {
  const app = loadConfig({ ...env, AWS_ACCOUNT: undefined, CDK_DEFAULT_ACCOUNT: undefined });
  const problems: string[] = [];
  const port = (key: keyof typeof LOCAL_PORT_DEFAULTS): number => {
    const raw = env[key]?.trim() || String(LOCAL_PORT_DEFAULTS[key]);
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      problems.push(`${key}=${raw} is invalid: use a TCP port from 1 to 65535, or 0 for any free port`);
    }
    return n;
  };
  const ports = {
    edge: port('LOCAL_EDGE_PORT'),
    token: port('LOCAL_TOKEN_PORT'),
    tokenSecd: port('LOCAL_SECD_TOKEN_PORT'),
    api: { pri: port('LOCAL_PRI_API_PORT'), secd: port('LOCAL_SECD_API_PORT') },
    db: { pri: port('LOCAL_PRI_DB_PORT'), secd: port('LOCAL_SECD_DB_PORT') },
  };
  const fixed = Object.entries({
    LOCAL_EDGE_PORT: ports.edge,
    LOCAL_TOKEN_PORT: ports.token,
    LOCAL_SECD_TOKEN_PORT: ports.tokenSecd,
    LOCAL_PRI_API_PORT: ports.api.pri,
    LOCAL_SECD_API_PORT: ports.api.secd,
    LOCAL_PRI_DB_PORT: ports.db.pri,
    LOCAL_SECD_DB_PORT: ports.db.secd,
  }).filter(([, n]) => n > 0);
  for (const [key, n] of fixed) {
    const clash = fixed.find(([other, m]) => other < key && m === n);
    if (clash) problems.push(`${key}=${n} is also ${clash[0]}: every LOCAL_*_PORT needs its own port (or 0)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { regions: app.regions, dbName: app.db.name, stateDir: localStateDir(env, repoRoot), ports };
}

/** The rehearsal's state directory (LOCAL_STATE_DIR, relative to the checkout): also what local_codecommit_setup.sh never pushes. */
export function localStateDir(env: Env, repoRoot = REPO_ROOT): string {
  return path.resolve(repoRoot, env.LOCAL_STATE_DIR?.trim() || '.local');
}
