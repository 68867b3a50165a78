// Command-line flags of `npm run gameday -- ...`: every value checked here, each problem named with its fix.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { REGION_ROLES, STACK_NAMES, type RegionRole } from '#names';
import type { LocalScenario } from './scenario';

export const USAGE = `Usage:
  npm run gameday -- --local --scenario switchover|failover|failback [options]
  npm run gameday -- --url https://<CloudfrontUrl> --token-url <TokenUrl> --client-id <id> [options]

Sends client traffic through the edge, (locally) runs the scenario, keeps the traffic on for the rest of
the duration, then reads every acknowledged write back and reports RPO, RTO, outages and latency, with a chart.

The local rehearsal:
  --local                 run a scenario against the local rehearsal
  --scenario <s>          switchover  planned move pri → secd
                          failover    kill-region pri, then npm run failover -- --local --mode failover
                          failback    the planned way back secd → pri (set up first if needed)
  --use-running           use the rehearsal running at LOCAL_STATE_DIR (default: start one on a temp dir with
                          free ports and stop it afterwards); it is left in the scenario's end state
  --lead-in <s>           seconds of traffic before the scenario starts (default: a quarter of --duration, at most 5)

A deployment on AWS (only observes: you approve the failover pipeline meanwhile):
  --url <url>             the CloudFront URL (the CloudfrontUrl output; /v1 may be left out)
  --token-url <url>       the TokenUrl output
  --client-id <id>        the UserPoolClientId output
  --client-secret <s>     the app client's secret; better: the GAMEDAY_CLIENT_SECRET environment variable
  --outputs <file>        take --url, --token-url and --client-id from a saved JSON of
                          aws cloudformation describe-stacks --stack-name ${STACK_NAMES.app('pri')} (or cdk --outputs-file)
  --pipeline <pri|secd>   poll that region's failover pipeline and mark its steps (repeatable; needs AWS
                          credentials with codepipeline:GetPipelineState; nothing else calls AWS)
  --failover-report <f>   a failover program report (JSON, e.g. from the report bucket): its steps become markers
  --keep-data             keep the rows the game day wrote (default: deleted after they were read back)

Traffic and output:
  --duration <s>          seconds of traffic (default 30 locally, 600 against AWS; Ctrl-C ends it early)
  --writers <n>           clients that write, one request at a time (default 4)
  --readers <n>           clients that read (default 4)
  --rate <n>              requests per second per client, at most (default 10)
  --timeout-ms <n>        timeout of each request (default 2000 locally, 5000 against AWS)
  --out <dir>             where the report, summary and chart go (default reports/gameday-<time>/)
  --help, -h              this text

Exit status: 0 every target passed (against AWS: the run completed), 1 a target failed or the run failed,
2 bad usage.`;

export class UsageError extends Error {}

export interface CommonArgs {
  readonly durationSeconds: number;
  readonly writers: number;
  readonly readers: number;
  readonly ratePerClient: number;
  readonly timeoutMs: number;
  readonly out?: string;
}

export interface LocalArgs extends CommonArgs {
  readonly kind: 'local';
  readonly scenario: LocalScenario;
  readonly useRunning: boolean;
  readonly leadInSeconds?: number;
}

export interface RemoteArgs extends CommonArgs {
  readonly kind: 'remote';
  readonly url: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly pipelines: readonly RegionRole[];
  readonly failoverReport?: string;
  readonly keepData: boolean;
}

export type GameDayArgs = LocalArgs | RemoteArgs | { readonly kind: 'help' };

const SCENARIO_NAMES: readonly LocalScenario[] = ['switchover', 'failover', 'failback'];

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} ${raw} is invalid: a whole number from ${min} to ${max}`);
  return n;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or http on loopback only (the local edge): the token and the client secret never cross a network in clear. */
function checkUrl(flag: string, raw: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`${flag} ${raw} is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new UsageError(`${flag} ${raw}: use https (plain http only on 127.0.0.1/localhost)`);
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * Stack outputs from a saved `aws cloudformation describe-stacks` answer or a `cdk deploy --outputs-file`
 * file, matched by prefix like deploy.sh (CDK may suffix output keys).
 */
export function readOutputsFile(file: string): { url?: string; tokenUrl?: string; clientId?: string } {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--outputs ${file}: ${(error as Error).message}`);
  }
  const pairs: [string, string][] = [];
  const stacks = (json as { Stacks?: { Outputs?: { OutputKey?: string; OutputValue?: string }[] }[] }).Stacks;
  if (Array.isArray(stacks)) {
    for (const s of stacks) for (const o of s.Outputs ?? []) if (o.OutputKey && o.OutputValue) pairs.push([o.OutputKey, o.OutputValue]);
  } else if (json && typeof json === 'object') {
    for (const outputs of Object.values(json)) {
      if (outputs && typeof outputs === 'object') {
        for (const [k, v] of Object.entries(outputs as Record<string, unknown>)) if (typeof v === 'string') pairs.push([k, v]);
      }
    }
  }
  const find = (prefix: string) => pairs.find(([k]) => k.startsWith(prefix))?.[1];
  const found = { url: find('CloudfrontUrl'), tokenUrl: find('TokenUrl'), clientId: find('UserPoolClientId') };
  if (!found.url && !found.tokenUrl && !found.clientId) {
    throw new UsageError(
      `--outputs ${file} has none of the outputs CloudfrontUrl, TokenUrl, UserPoolClientId of ${STACK_NAMES.app('pri')}`,
    );
  }
  return found;
}

export function parseGameDayArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): GameDayArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        local: { type: 'boolean', default: false },
        scenario: { type: 'string' },
        'use-running': { type: 'boolean', default: false },
        'lead-in': { type: 'string' },
        url: { type: 'string' },
        'token-url': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        outputs: { type: 'string' },
        pipeline: { type: 'string', multiple: true },
        'failover-report': { type: 'string' },
        'keep-data': { type: 'boolean', default: false },
        duration: { type: 'string' },
        writers: { type: 'string' },
        readers: { type: 'string' },
        rate: { type: 'string' },
        'timeout-ms': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { kind: 'help' };
  const remote = v.url !== undefined || v.outputs !== undefined;
  if (v.local === remote) throw new UsageError('give either --local (the rehearsal) or --url / --outputs (a deployment)');
  if (v.out === '') throw new UsageError('--out needs a directory');
  const common = (durationDefault: number, timeoutDefault: number): CommonArgs => {
    const writers = integer('writers', v.writers, 4, 0, 64);
    const readers = integer('readers', v.readers, 4, 0, 64);
    if (writers + readers === 0) throw new UsageError('--writers and --readers are both 0: nothing would be measured');
    return {
      durationSeconds: integer('duration', v.duration, durationDefault, 1, 3600),
      writers,
      readers,
      ratePerClient: integer('rate', v.rate, 10, 1, 200),
      timeoutMs: integer('timeout-ms', v['timeout-ms'], timeoutDefault, 100, 60_000),
      ...(v.out ? { out: v.out } : {}),
    };
  };

  if (v.local) {
    const onlyRemote = ['token-url', 'client-id', 'client-secret', 'pipeline', 'failover-report', 'keep-data'] as const;
    const misplaced = onlyRemote.filter((k) => (Array.isArray(v[k]) ? v[k].length > 0 : v[k] !== undefined && v[k] !== false));
    if (misplaced.length > 0) throw new UsageError(`${misplaced.map((k) => `--${k}`).join(', ')} only go with --url (a deployment)`);
    if (!v.scenario) throw new UsageError(`--local needs --scenario ${SCENARIO_NAMES.join('|')}`);
    const scenario = SCENARIO_NAMES.find((s) => s === v.scenario);
    if (!scenario) throw new UsageError(`unknown --scenario '${v.scenario}': use ${SCENARIO_NAMES.join(', ')}`);
    const args = common(30, 2000);
    let leadInSeconds: number | undefined;
    if (v['lead-in'] !== undefined) {
      leadInSeconds = Number(v['lead-in']);
      if (!Number.isFinite(leadInSeconds) || leadInSeconds < 0 || leadInSeconds >= args.durationSeconds) {
        throw new UsageError(`--lead-in ${v['lead-in']} is invalid: seconds from 0 to less than --duration (${args.durationSeconds})`);
      }
    }
    return {
      kind: 'local',
      scenario,
      useRunning: v['use-running'] === true,
      ...(leadInSeconds === undefined ? {} : { leadInSeconds }),
      ...args,
    };
  }

  if (v.scenario || v['use-running'] || v['lead-in'] !== undefined) {
    throw new UsageError('--scenario, --use-running and --lead-in go with --local; against a deployment the game day only observes');
  }
  const fromFile = v.outputs ? readOutputsFile(v.outputs) : {};
  const url = v.url ?? fromFile.url;
  const tokenUrl = v['token-url'] ?? fromFile.tokenUrl;
  const clientId = v['client-id'] ?? fromFile.clientId;
  const clientSecret = v['client-secret'] ?? env.GAMEDAY_CLIENT_SECRET;
  const missing = [
    url ? '' : '--url (CloudfrontUrl)',
    tokenUrl ? '' : '--token-url (TokenUrl)',
    clientId ? '' : '--client-id (UserPoolClientId)',
    clientSecret
      ? ''
      : '--client-secret or GAMEDAY_CLIENT_SECRET (aws cognito-idp describe-user-pool-client ... --query UserPoolClient.ClientSecret)',
  ].filter(Boolean);
  if (missing.length > 0) throw new UsageError(`against a deployment the game day needs ${missing.join(', ')}`);
  const pipelines = (v.pipeline ?? []).map((p) => {
    const role = REGION_ROLES.find((r) => r === p);
    if (!role) throw new UsageError(`--pipeline ${p}: use pri or secd (the failover pipeline of that region)`);
    return role;
  });
  if (v['failover-report'] && !fs.existsSync(v['failover-report']))
    throw new UsageError(`--failover-report ${v['failover-report']} does not exist`);
  return {
    kind: 'remote',
    url: checkUrl('--url', url!),
    tokenUrl: checkUrl('--token-url', tokenUrl!),
    clientId: clientId!,
    clientSecret: clientSecret!,
    pipelines: [...new Set(pipelines)],
    ...(v['failover-report'] ? { failoverReport: v['failover-report'] } : {}),
    keepData: v['keep-data'] === true,
    ...common(600, 5000),
  };
}
