// What an HTTPS GET without credentials gets from the regional APIs and the CloudFront URL: API Gateway
// answers 401 with the region header on every answer (the app's gateway responses carry REGION_HEADER),
// CloudFront forwards to the API origin it is configured with, any other host does not resolve.
import { EDGE_ORIGIN_KEY } from '#names';
import { REGION_HEADER } from '#routes';
import type { HttpAnswer } from '#failover/http-probe';
import { REGIONS } from './fixtures';
import type { AwsWorldState } from './state';

const noAnswer = (code: string, host: string) => Object.assign(new Error(`${code} ${host}`), { code });

export function httpsAnswer(world: AwsWorldState, url: string): HttpAnswer {
  const { protocol, host } = new URL(url);
  if (protocol !== 'https:') throw noAnswer('ECONNREFUSED', host);
  const api = (apiHost: string): HttpAnswer | undefined => {
    const role = world.apiHosts[apiHost];
    if (role === undefined || world.down.has(REGIONS[role])) return undefined;
    return { status: 401, headers: { [REGION_HEADER]: REGIONS[role] } };
  };
  if (host === world.edgeDomain) {
    const origin = world.distribution.Origins?.Items?.find((o) => o.Id === world.distribution.DefaultCacheBehavior?.TargetOriginId);
    // The viewer-request function sends the request to the key's host when the key is present (assets/edge/origin-selector.js);
    // the edges use the configuration as updated (they pick it up before the distribution reports Deployed).
    const chosen = world.kvs.get(EDGE_ORIGIN_KEY) ?? origin?.DomainName ?? '';
    return api(chosen) ?? { status: 502, headers: {} };
  }
  const answer = api(host);
  if (answer) return answer;
  throw noAnswer(world.apiHosts[host] !== undefined ? 'ETIMEDOUT' : 'ENOTFOUND', host);
}
