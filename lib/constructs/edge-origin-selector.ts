import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { Construct } from 'constructs';
import { EDGE_ORIGIN_KEY } from '#names';

/** The CloudFront Function's source: plain JavaScript for the CloudFront Functions JavaScript runtime 2.0. */
export const EDGE_FUNCTION_FILE = path.join(__dirname, '..', '..', 'assets', 'edge', 'origin-selector.js');

/** What the function is told at synth: the key it reads and the regions whose API hosts it accepts. */
export interface EdgeFunctionConfig {
  readonly originKey: string;
  readonly regions: readonly string[];
}

const CONFIG_LINE = /^const CONFIG = \{.*\};$/m;

/**
 * The function's code with this deployment's settings in place of the file's defaults. A CloudFront Function
 * has no environment variables and may not exceed 10 KB, so the settings are written into the source.
 */
export function edgeFunctionCode(config: EdgeFunctionConfig, source = fs.readFileSync(EDGE_FUNCTION_FILE, 'utf8')): string {
  const lines = source.match(new RegExp(CONFIG_LINE.source, 'gm')) ?? [];
  if (lines.length !== 1) throw new Error(`${EDGE_FUNCTION_FILE}: expected exactly one line "const CONFIG = {...};"`);
  const settings = { originKey: config.originKey, regions: [...config.regions] };
  return source.replace(CONFIG_LINE, `const CONFIG = ${JSON.stringify(settings)};`);
}

export interface EdgeOriginSelectorProps {
  /** The deployment's regions (pri and secd): the only ones whose API hosts the function sends requests to. */
  readonly regions: readonly string[];
  /**
   * CloudFront Function names are unique per account, like the app's Lambda function names.
   * @default - generated from the construct path
   */
  readonly functionName?: string;
}

/**
 * Per-request origin selection at the edge: a KeyValueStore holding one key, {@link EDGE_ORIGIN_KEY} (the active
 * region's API host), and a viewer-request function that reads it. The failover program's traffic step writes
 * that key with the KeyValueStore data-plane API (PutKey/DeleteKey), seconds and no distribution deployment.
 *
 * Contract with the failover program: the key is absent while the primary serves (the distribution's configured
 * origin applies); it holds `<id>.execute-api.<region>.amazonaws.com` of the API that must serve instead.
 * A present key wins over the distribution's origin, so the program's origin-swap fallback (UpdateDistribution)
 * takes effect only while the key is absent or names the same host.
 */
export class EdgeOriginSelector extends Construct {
  readonly store: cloudfront.KeyValueStore;
  readonly function: cloudfront.Function;

  constructor(scope: Construct, id: string, props: EdgeOriginSelectorProps) {
    super(scope, id);

    // Empty at creation on purpose (an absent key is the steady state). CloudFormation cannot update an import
    // source later, and it would fight the failover program over the key.
    this.store = new cloudfront.KeyValueStore(this, 'Store', {
      comment: `ToDoMgmt: ${EDGE_ORIGIN_KEY} = the API host that serves while the primary does not (absent: the primary)`,
    });
    // Holds one key the failover program rewrites; a new store starts empty, which means "the primary".
    this.store.applyRemovalPolicy(RemovalPolicy.DESTROY);

    this.function = new cloudfront.Function(this, 'Function', {
      functionName: props.functionName,
      comment: 'ToDoMgmt: sends each request to the API host named in the KeyValueStore, else to the configured origin',
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      keyValueStore: this.store,
      code: cloudfront.FunctionCode.fromInline(edgeFunctionCode({ originKey: EDGE_ORIGIN_KEY, regions: props.regions })),
      autoPublish: true,
    });
  }
}
