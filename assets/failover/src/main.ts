// The failover program on its own, with the AWS driver only: the entry point of the bundle the failover
// pipelines run (`node failover.js`, see ../bundling.ts). A checkout's `npm run failover` starts
// util/failover.ts instead, which adds the local rehearsal's driver.
import { main } from './cli';

void main(process.argv.slice(2)).then((code) => process.exit(code));
