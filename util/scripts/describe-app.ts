// What deploy.sh, delete.sh and local_codecommit_setup.sh know about the app, printed as one JSON
// document: the configuration validated by assets/common/config.ts, every stack with its region, the
// deploy and teardown orders, and the physical names the scripts look up. Bash cannot import
// assets/common, and copies of its rules and names drift; the scripts read this instead (with jq).
// Derived from #names and #stacks, not from a synth (~10 s).
//
//   npx ts-node --transpile-only util/scripts/describe-app.ts [--env-file <path>]
//
// Exit 0 with the JSON on stdout; 1 with the ConfigError's message on stderr (one "  - <problem>" line
// per problem, each naming its key); 2 for a wrong argument.
import * as path from 'node:path';
import { type AppConfig, ConfigError, type Env, loadConfig, localStateDir, readEnv } from '#config';
import {
  clusterId,
  FAILOVER_PIPELINE_NAME,
  FAILOVER_RUN_PARAMETER,
  functionName,
  GLOBAL_CLUSTER_ID,
  PIPELINE_NAME,
  type RegionRole,
  REPOSITORY_BRANCH,
  REPOSITORY_NAME,
  ssmParameterName,
} from '#names';
import { APP_STACKS, type AppStack, deployOrder, type TeardownStack, teardownOrder } from '#stacks';
import { statePaths } from '../local/state';

/** The repository the CDK pipeline builds from. */
export type SourceDescription =
  /** The CodeCommit repository the pipeline stack creates in the primary region (local_codecommit_setup.sh pushes to it). */
  | { readonly kind: 'codecommit'; readonly repository: string; readonly branch: string; readonly region: string }
  /** `<owner>/<name>` at GitHub, GitLab or Bitbucket, through a CodeConnections connection (SOURCE_* in .env). */
  | { readonly kind: 'connection'; readonly repository: string; readonly branch: string; readonly connectionArn: string };

export interface AppDescription {
  readonly config: AppConfig;
  readonly source: SourceDescription;
  /** The table of assets/common/stacks.ts (the article's order), each stack with its region. */
  readonly stacks: readonly (AppStack & { readonly region: string })[];
  /** cdk ids, in the order deploy.sh deploys them. */
  readonly deployOrder: readonly string[];
  readonly teardownOrder: readonly (TeardownStack & { readonly region: string })[];
  /** The local rehearsal, as far as the scripts care: where its state (keys, secrets, databases) lives. */
  readonly local: {
    /** Absolute: LOCAL_STATE_DIR resolved against the directory of the .env file. */
    readonly stateDir: string;
    /** Files only a rehearsal's state directory holds, with secrets in them: how local_codecommit_setup.sh recognizes one. */
    readonly secretFiles: readonly string[];
  };
  readonly names: {
    /** The CDK pipeline (CodePipeline), not its stack. */
    readonly pipeline: string;
    readonly failoverPipelines: Readonly<Record<RegionRole, string>>;
    readonly globalClusterId: string;
    readonly clusterIds: Readonly<Record<RegionRole, string>>;
    readonly createTableFunction: string;
    /** SSM parameter holding the user pool id (the summary's fallback when the stack has no output). */
    readonly userPoolIdParameter: string;
    /** The failover program's run record, in both regions; no stack owns it (delete.sh deletes it). */
    readonly failoverRunParameter: string;
  };
}

/** `env` is what `config` was loaded from; `envDir` the directory of its .env file (the checkout). */
export function describeApp(config: AppConfig, env: Env = {}, envDir = path.join(__dirname, '..', '..')): AppDescription {
  const stacks = APP_STACKS.map((s) => ({ ...s, region: config.regions[s.regionRole] }));
  const state = statePaths(localStateDir(env, envDir));
  return {
    config,
    source:
      config.source.kind === 'codecommit'
        ? { kind: 'codecommit', repository: REPOSITORY_NAME, branch: REPOSITORY_BRANCH, region: config.regions.pri }
        : {
            kind: 'connection',
            repository: config.source.repository,
            branch: config.source.branch,
            connectionArn: config.source.connectionArn,
          },
    stacks,
    deployOrder: deployOrder(config.source.kind),
    teardownOrder: teardownOrder(config.regions.secd).map((s) => ({ ...s, region: config.regions[s.regionRole] })),
    local: {
      stateDir: state.root,
      secretFiles: [state.secrets, state.signingKey, state.endpoints].map((file) => path.basename(file)),
    },
    names: {
      pipeline: PIPELINE_NAME,
      failoverPipelines: { pri: FAILOVER_PIPELINE_NAME('pri'), secd: FAILOVER_PIPELINE_NAME('secd') },
      globalClusterId: GLOBAL_CLUSTER_ID,
      clusterIds: { pri: clusterId('pri'), secd: clusterId('secd') },
      createTableFunction: functionName('pri', 'CreateTableFunction'),
      userPoolIdParameter: ssmParameterName('pri', 'user-pool-id'),
      failoverRunParameter: FAILOVER_RUN_PARAMETER,
    },
  };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const USAGE = 'usage: describe-app.ts [--env-file <path>]';

/** The whole program, minus the process: the script tests' fake runs it in-process. */
export function describeAppCli(args: readonly string[], processEnv: Env): CliResult {
  let envFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--env-file' && args[i + 1] !== undefined) envFile = args[++i];
    else return { code: 2, stdout: '', stderr: `${USAGE}\nunexpected argument: ${args[i]}\n` };
  }
  try {
    const env = readEnv(envFile, processEnv);
    // LOCAL_STATE_DIR is relative to the checkout, which is where its .env is.
    const description = describeApp(loadConfig(env), env, envFile === undefined ? undefined : path.dirname(path.resolve(envFile)));
    // Absent optional fields print as null, so that every key is always there for jq.
    const json = JSON.stringify(description, (_key, value: unknown) => value ?? null, 2);
    return { code: 0, stdout: `${json}\n`, stderr: '' };
  } catch (error) {
    if (error instanceof ConfigError) return { code: 1, stdout: '', stderr: `${error.message}\n` };
    throw error;
  }
}

if (require.main === module) {
  const result = describeAppCli(process.argv.slice(2), process.env);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.code;
}
