// How the failover program is bundled at synth: one file plus its source map, the AWS SDK v3 inside,
// for Node.js 22, so that the failover job runs it with `node` alone: no npm install, no TypeScript
// toolchain, nothing fetched from a registry while a region is down. The failover pipeline stack
// publishes the bundle as its source; a test builds and runs the same bundle.
import * as path from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';

/** What the job runs: `node --enable-source-maps failover.js ...`. */
export const FAILOVER_BUNDLE_FILE = 'failover.js';
export const FAILOVER_NODE_COMMAND = `node --enable-source-maps ${FAILOVER_BUNDLE_FILE}`;

export const FAILOVER_BUILD_OPTIONS: BuildOptions = {
  entryPoints: [path.join(__dirname, 'src', 'main.ts')],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  // Everything inside, the AWS SDK included: CodeBuild's image has no node_modules for it.
  packages: 'bundle',
  minify: true,
  // The driver names IAM actions after the SDK's command classes (SwitchoverGlobalClusterCommand → rds:SwitchoverGlobalCluster).
  keepNames: true,
  // Stack traces name the TypeScript sources (with --enable-source-maps).
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
};

/** Writes failover.js and failover.js.map into `outDir`; returns the bundle's path. */
export function bundleFailoverProgram(outDir: string): string {
  const outfile = path.join(outDir, FAILOVER_BUNDLE_FILE);
  buildSync({ ...FAILOVER_BUILD_OPTIONS, outfile });
  return outfile;
}
