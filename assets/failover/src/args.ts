// Command-line flags of `npm run failover -- ...` (a contract with the pipeline and deploy scripts).
import { parseArgs } from 'node:util';
import { DEFAULT_TRAFFIC_METHOD, FAILOVER_MODES, TRAFFIC_METHODS, type FailoverMode, type TrafficMethod } from '#names';
import { UsageError } from './errors';
import { MODES, parseMode } from './modes';

export interface CliArgs {
  readonly mode?: FailoverMode;
  readonly to?: string;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
  readonly wait: boolean;
  readonly traffic: TrafficMethod;
  readonly report?: string;
  readonly local: boolean;
  readonly maxLagSeconds?: number;
  readonly help: boolean;
}

const FLAG_COLUMN = 24;
const HELP_WIDTH = 102;

/** `text` after the flag, wrapped at HELP_WIDTH with the continuation lines under the text. */
function wrapFlag(flag: string, text: string): string {
  const lines: string[] = [];
  let line = `  ${flag}`.padEnd(FLAG_COLUMN);
  for (const word of text.split(' ')) {
    const atStart = line.length === FLAG_COLUMN;
    if (!atStart && line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = ' '.repeat(FLAG_COLUMN) + word;
    } else {
      line += atStart ? word : ` ${word}`;
    }
  }
  return [...lines, line].join('\n');
}

const modeWidth = Math.max(...FAILOVER_MODES.map((m) => m.length));
const modeLines = FAILOVER_MODES.map(
  (m, i) => `${m.padEnd(modeWidth)} (${MODES[m].description}${i === 0 ? '; default from FAILOVER_MODE in .env' : ''})`,
).join(`\n${' '.repeat(FLAG_COLUMN)}`);

const defaultTargets = new Map<string, FailoverMode[]>();
for (const m of FAILOVER_MODES) {
  const target = MODES[m].defaultTarget;
  const text =
    target === 'not-the-writer'
      ? 'the region that is not the writer (after a completed run, the same command fails back)'
      : `the ${target.role} region`;
  defaultTargets.set(text, [...(defaultTargets.get(text) ?? []), m]);
}
const toHelp = wrapFlag(
  '--to <region>',
  `region (or pri|secd) to move to. Default: ${[...defaultTargets].map(([text, modes]) => `${modes.join('/')} → ${text}`).join('; ')}`,
);

export const USAGE = `Usage: npm run failover -- [options]

Moves the writer and the API traffic to the other region: plan, confirm, promote, proxy, traffic, verify.
Safe to run again: every step checks first and skips what is already done. Each run is recorded
(/todomgmt/failover/run in SSM, per region): without --to, a rerun finishes a run that stopped.

  --mode <m>            ${modeLines}
${toHelp}
  --dry-run             print the plan and the preflight checks, change nothing
  --yes, -y             do not ask for confirmation (the pipeline passes it after its manual approval)
  --force               proceed despite a forceable failed check: replication lag (too high or unknown),
                        engine versions, a healthy old primary (failover), a target API that does not
                        answer from its region, CloudFront unreadable
  --max-lag-seconds <n> replication lag a switchover accepts (default 5)
  --traffic <method>    kvs (default): write the active API host into the edge's KeyValueStore, a data-plane
                        call that takes effect in seconds; origin-swap: change the distribution's origin
                        (UpdateDistribution, CloudFront's control plane in us-east-1; minutes to deploy)
  --no-wait             origin-swap: do not wait for CloudFront to finish deploying the new origin
  --report <file>       write the JSON report (steps, timings, what was already in place) to <file>
  --local               run against the local two-region rehearsal instead of AWS
  --help, -h            this text

Environment (override discovery from SSM, names from the original article):
  AWS_SRC_REGION, AWS_DEST_REGION   the pri and secd regions as deployed (default: .env)
  SRC_CLUSTER_ID, SRC_RDS_PROXY_NAME                      the pri region's cluster / proxy
  TARGET_CLUSTER_ID, TARGET_RDS_PROXY_NAME                the secd region's cluster / proxy
  CLOUDFRONT_DISTRIBUTION_ID, CLOUDFRONT_NEW_ORIGIN_DOMAIN_NAME (the secd region's API host)
  CLOUDFRONT_KVS_ARN                the edge's KeyValueStore (default: the kvs-arn SSM parameter)
  FAILOVER_MODE                     default for --mode

Exit status: 0 done, nothing to do, or dry run; 1 failed part-way (run again to resume);
2 refused, not confirmed or bad usage, also when found during the run (nothing was changed).`;

export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        mode: { type: 'string' },
        to: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        yes: { type: 'boolean', short: 'y', default: false },
        force: { type: 'boolean', default: false },
        'no-wait': { type: 'boolean', default: false },
        traffic: { type: 'string' },
        report: { type: 'string' },
        local: { type: 'boolean', default: false },
        'max-lag-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
  const v = parsed.values;
  let maxLagSeconds: number | undefined;
  if (v['max-lag-seconds'] !== undefined) {
    maxLagSeconds = Number(v['max-lag-seconds']);
    if (!Number.isFinite(maxLagSeconds) || maxLagSeconds < 0) {
      throw new UsageError(`--max-lag-seconds ${v['max-lag-seconds']} is invalid: a number of seconds, 0 or more`);
    }
  }
  if (v.report === '') throw new UsageError('--report needs a file name');
  const traffic = v.traffic?.trim() || DEFAULT_TRAFFIC_METHOD;
  if (!(TRAFFIC_METHODS as readonly string[]).includes(traffic)) {
    throw new UsageError(`--traffic ${traffic} is unknown: use ${TRAFFIC_METHODS.join(' | ')}`);
  }
  // The pipeline passes its variables through as `--to "$FAILOVER_TO"`: an empty value means "not given".
  const mode = v.mode?.trim() || undefined;
  return {
    mode: mode === undefined ? undefined : parseMode(mode),
    to: v.to?.trim() || undefined,
    dryRun: v['dry-run'] === true,
    yes: v.yes === true,
    force: v.force === true,
    wait: v['no-wait'] !== true,
    traffic: traffic as TrafficMethod,
    report: v.report,
    local: v.local === true,
    maxLagSeconds,
    help: v.help === true,
  };
}
