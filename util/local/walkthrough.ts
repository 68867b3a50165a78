// What `npm run local -- start` prints once everything is healthy: where things are, and the
// article's walkthrough as ready-to-paste curl commands against the edge.
import * as path from 'node:path';
import { otherRole, type RegionRole } from '#names';
import type { Endpoints } from './runtime';

export interface WalkthroughFacts {
  readonly endpoints: Endpoints;
  readonly writer: RegionRole;
  readonly stateDir: string;
}

export function walkthrough({ endpoints: e, writer, stateDir }: WalkthroughFacts): string {
  const passive = otherRole(writer);
  const basic = Buffer.from(`${e.clientId}:${e.clientSecret}`).toString('base64');
  const relative = path.relative(process.cwd(), stateDir);
  const rel = relative === '' ? '.' : relative.startsWith('..') ? stateDir : relative;
  const region = (role: RegionRole) => {
    const { name, apiUrl, dbPort } = e.regions[role];
    const what = role === writer ? 'writer' : 'read-only replica';
    return `  ${`${name} (${role})`.padEnd(20)} API ${apiUrl.padEnd(24)} MariaDB 127.0.0.1:${dbPort}  ${what}`;
  };
  const auth = `--header "Authorization: $TOKEN"`;
  const json = `--header 'Content-Type: application/json'`;
  return [
    '',
    `ToDoMgmt local rehearsal is up (state: ${rel}/, endpoints: ${path.join(rel, 'endpoints.json')})`,
    '',
    `  ${'edge (CloudFront)'.padEnd(20)} ${e.edgeUrl}  -> ${e.regions[writer].name} (${writer})`,
    `  ${'token (Cognito)'.padEnd(20)} ${e.tokenUrl}  client ${e.clientId}, scope ${e.scope}`,
    region('pri'),
    region('secd'),
    '',
    'Walkthrough (paste into a shell; needs curl and jq):',
    '',
    '# 1. An access token (client credentials)',
    `TOKEN=$(curl -s -X POST '${e.tokenUrl}' \\`,
    `  --header 'Authorization: Basic ${basic}' \\`,
    `  --header 'Content-Type: application/x-www-form-urlencoded' --data-urlencode 'grant_type=client_credentials' | jq -r .access_token)`,
    '',
    '# 2. Create two ToDos, read one, update it, delete the other (all through the edge)',
    `curl -s -X POST '${e.edgeUrl}/v1' ${auth} ${json} --data-raw '{ "task": "Sample Task new", "status": "wip" }'`,
    `curl -s -X POST '${e.edgeUrl}/v1' ${auth} ${json} --data-raw '{ "task": "Sample Task new for failover", "status": "wip" }'`,
    `curl -s '${e.edgeUrl}/v1?id=1' ${auth}`,
    `curl -s -X POST '${e.edgeUrl}/v1' ${auth} ${json} --data-raw '{ "id": "1", "task": "Sample Task Updated", "status": "done" }'`,
    `curl -s -X DELETE '${e.edgeUrl}/v1' ${auth} ${json} --data-raw '{ "id": "2" }'`,
    '',
    `# 3. The passive region serves reads and refuses writes (503)`,
    `curl -s -X POST '${e.regions[passive].apiUrl}/v1' ${auth} ${json} --data-raw '{ "task": "goes nowhere", "status": "wip" }'`,
    '',
    `# 4. Planned switchover to ${e.regions[passive].name}, then the same edge URL answers from there (see x-todomgmt-region)`,
    'npm run failover -- --local --mode switchover --yes',
    `curl -si '${e.edgeUrl}/v1?id=1' ${auth} | grep -i -e '^x-todomgmt-region' -e '^{'`,
    '',
    '# 5. Fail back (run it again), or rehearse a disaster instead:',
    'npm run failover -- --local --yes',
    `npm run local -- kill-region ${writer} && npm run failover -- --local --mode failover --yes && ` +
      `npm run local -- revive-region ${writer}`,
    '',
    'npm run local -- status    shows who writes;  npm run local -- stop  stops everything and removes the state.',
    '',
  ].join('\n');
}
