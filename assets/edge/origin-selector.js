import cf from 'cloudfront';

/* global console */
// Viewer-request CloudFront Function (JavaScript runtime 2.0): sends each request to the API host that the
// KeyValueStore names under CONFIG.originKey, the one key the failover program's traffic step writes. No key,
// a value that is not one of this system's regional API hosts, or a KeyValueStore error: the request goes to
// the distribution's configured origin (the primary's API), as if this function were not there.
// The request itself (method, headers, query, body) is never changed.
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/helper-functions-origin-modification.html
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-custom-methods.html

// Replaced at synth by lib/constructs/edge-origin-selector.ts (the two regions of the deployment, the key from
// assets/common/names.ts); the values here are the defaults of .env and names.ts, so the file runs as it is.
const CONFIG = { originKey: 'active-api-domain', regions: ['us-east-1', 'us-east-2'] };

// A REST API's default host: a 10-character id, then execute-api.<region>.amazonaws.com. Nothing else may be
// an origin: a mistyped or hostile value must not send the viewers' tokens anywhere else.
const API_HOST = /^[a-z0-9]{10}\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/;

function apiHostOf(value) {
  if (typeof value !== 'string') return undefined;
  const match = API_HOST.exec(value);
  return match !== null && CONFIG.regions.indexOf(match[1]) !== -1 ? value : undefined;
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- CloudFront calls `handler`; a function file has no exports.
async function handler(event) {
  const request = event.request;
  let value;
  try {
    // get() rejects when the key is absent (the steady state: the configured origin is the active one). The
    // handle is taken here, inside the try, so that even a missing store association degrades to the
    // configured origin instead of failing every request.
    value = await cf.kvs().get(CONFIG.originKey);
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- runtime 2.0 (ES 5.1 + some ES 6-12) has no `catch {`.
  } catch (err) {
    // Not logged: function logs go to CloudWatch Logs on every request, and an absent key is the normal case.
    return request;
  }
  const host = apiHostOf(value);
  if (host === undefined) {
    console.log(`ignored ${CONFIG.originKey}=${JSON.stringify(value).slice(0, 120)}: not an API host of ${CONFIG.regions.join(' or ')}`);
    return request;
  }
  // Only the host changes: origin path (/prod), HTTPS with TLS 1.2, timeouts and custom origin headers are
  // inherited from the configured origin, as updateRequestOrigin() documents for settings it is not given.
  cf.updateRequestOrigin({ domainName: host });
  return request;
}
