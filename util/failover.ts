// `npm run failover -- ...` in a checkout: the failover program with every driver the checkout has,
// the AWS one and the local rehearsal's (--local). The program itself (assets/failover/src/cli.ts) does
// not reach into util/: the failover pipeline runs its copy of assets/failover, which has no rehearsal.
import { main, type FailoverDrivers } from '#failover/cli';
import { createLocalDriver } from './local/failover-driver';

export const CHECKOUT_DRIVERS: FailoverDrivers = { local: () => createLocalDriver() };

if (require.main === module) {
  void main(process.argv.slice(2), CHECKOUT_DRIVERS).then((code) => process.exit(code));
}
