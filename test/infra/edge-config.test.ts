// assets/common/config.ts, the keys of the edge and identity round: defaults, and bad values refused with a
// message that names the key and the fix (synthApp() and the scripts show that message as it is).
import { ConfigError, loadConfig } from '#config';
import { TEST_ENV } from './synth-app';

const load = (overrides: Record<string, string | undefined> = {}) => loadConfig({ ...TEST_ENV, ...overrides });
const problems = (overrides: Record<string, string | undefined>): string[] => {
  try {
    load(overrides);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

test('defaults: throttling 100/s burst 200, logs kept 90 days, WAF and the Cognito replica off', () => {
  const config = load();
  expect(config.apiThrottle).toEqual({ rateLimit: 100, burstLimit: 200 });
  expect(config.edgeLogRetentionDays).toBe(90);
  expect(config.waf).toBeUndefined();
  expect(config.cognitoReplica).toBe(false);
});

test('the committed .env values are the defaults (so README and .env tell the same story)', () => {
  const config = load({ API_THROTTLE_RATE: '100', API_THROTTLE_BURST: '200', EDGE_LOG_RETENTION_DAYS: '90', WAF: 'false' });
  expect(config).toEqual(load());
});

test('set values are read', () => {
  const config = load({
    API_THROTTLE_RATE: '12.5',
    API_THROTTLE_BURST: '40',
    EDGE_LOG_RETENTION_DAYS: '400',
    WAF: 'true',
    WAF_RATE_LIMIT: '300',
    COGNITO_REPLICA: 'TRUE',
  });
  expect(config.apiThrottle).toEqual({ rateLimit: 12.5, burstLimit: 40 });
  expect(config.edgeLogRetentionDays).toBe(400);
  expect(config.waf).toEqual({ rateLimitPer5Minutes: 300 });
  expect(config.cognitoReplica).toBe(true);
});

test.each([
  [{ API_THROTTLE_RATE: '0' }, /^API_THROTTLE_RATE=0 is invalid: requests per second/],
  [{ API_THROTTLE_RATE: '20000' }, /^API_THROTTLE_RATE=20000 is invalid/],
  [{ API_THROTTLE_RATE: 'fast' }, /^API_THROTTLE_RATE=fast is invalid/],
  [{ API_THROTTLE_BURST: '2.5' }, /^API_THROTTLE_BURST=2.5 is invalid: a whole number/],
  [{ API_THROTTLE_BURST: '6000' }, /^API_THROTTLE_BURST=6000 is invalid/],
  [{ API_THROTTLE_RATE: '50', API_THROTTLE_BURST: '10' }, /^API_THROTTLE_BURST=10 is below API_THROTTLE_RATE=50/],
  [{ EDGE_LOG_RETENTION_DAYS: '0' }, /^EDGE_LOG_RETENTION_DAYS=0 is invalid: whole days from 1 to 3650/],
  [{ WAF: 'yes' }, /^WAF=yes is invalid: use true or false/],
  [{ WAF_RATE_LIMIT: '5' }, /^WAF_RATE_LIMIT=5 is invalid: requests per client IP in 5 minutes/],
  [{ COGNITO_REPLICA: 'on' }, /^COGNITO_REPLICA=on is invalid: use true or false/],
])('%j is refused, naming the key', (overrides, message) => {
  const found = problems(overrides);
  expect(found).toHaveLength(1);
  expect(found[0]).toMatch(message);
});

test('WAF=true with a primary other than us-east-1 is refused with the reason and both ways out', () => {
  expect(problems({ WAF: 'true', AWS_SRC_REGION: 'eu-west-1', AWS_DEST_REGION: 'eu-central-1' })).toEqual([
    expect.stringMatching(/^WAF=true needs AWS_SRC_REGION=us-east-1 \(it is eu-west-1\).*set WAF=false, or make us-east-1 the primary$/),
  ]);
  expect(problems({ WAF: 'false', AWS_SRC_REGION: 'eu-west-1', AWS_DEST_REGION: 'eu-central-1' })).toEqual([]);
});
