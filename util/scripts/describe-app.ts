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
import { type AppConfig, ConfigError, type Env, loadConfig, readEnv } from '#config';
import {
  clusterId,
  FAILOVER_PIPELINE_NAME,
  functionName,
  GLOBAL_CLUSTER_ID,
  PIPELINE_NAME,
  type RegionRole,
  REPOSITORY_BRANCH,
  REPOSITORY_NAME,
  ssmParameterName,
} from '#names';
import { APP_STACKS, type AppStack, type TeardownStack, teardownOrder } from '#stacks';

export interface AppDescription {
  readonly config: AppConfig;
  /** In deploy order. */
  readonly stacks: readonly (AppStack & { readonly region: string })[];
  /** cdk ids. */
  readonly deployOrder: readonly string[];
  readonly teardownOrder: readonly (TeardownStack & { readonly region: string })[];
  readonly names: {
    readonly repository: string;
    readonly repositoryBranch: string;
    /** The CDK pipeline (CodePipeline), not its stack. */
    readonly pipeline: string;
    readonly failoverPipelines: Readonly<Record<RegionRole, string>>;
    readonly globalClusterId: string;
    readonly clusterIds: Readonly<Record<RegionRole, string>>;
    readonly createTableFunction: string;
    /** SSM parameter holding the user pool id (the summary's fallback when the stack has no output). */
    readonly userPoolIdParameter: string;
  };
}

export function describeApp(config: AppConfig): AppDescription {
  const stacks = APP_STACKS.map((s) => ({ ...s, region: config.regions[s.regionRole] }));
  return {
    config,
    stacks,
    deployOrder: stacks.map((s) => s.id),
    teardownOrder: teardownOrder(config.regions.secd).map((s) => ({ ...s, region: config.regions[s.regionRole] })),
    names: {
      repository: REPOSITORY_NAME,
      repositoryBranch: REPOSITORY_BRANCH,
      pipeline: PIPELINE_NAME,
      failoverPipelines: { pri: FAILOVER_PIPELINE_NAME('pri'), secd: FAILOVER_PIPELINE_NAME('secd') },
      globalClusterId: GLOBAL_CLUSTER_ID,
      clusterIds: { pri: clusterId('pri'), secd: clusterId('secd') },
      createTableFunction: functionName('pri', 'CreateTableFunction'),
      userPoolIdParameter: ssmParameterName('pri', 'user-pool-id'),
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
    // Absent optional fields print as null, so that every key is always there for jq.
    const json = JSON.stringify(describeApp(loadConfig(readEnv(envFile, processEnv))), (_key, value: unknown) => value ?? null, 2);
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
