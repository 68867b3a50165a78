// The KeyValueStore client the failover program really uses (createAwsClients), against a stand-in on
// 127.0.0.1: its requests must be SigV4A-signed for every region (`x-amz-region-set: *`) and conditional
// (If-Match). Without @aws-sdk/signature-v4a loaded the SDK silently falls back to SigV4, which fails here.
// The SDK's endpoint rules put the store's account in front of the host (`<account>.cloudfront-kvs.global.api.aws`,
// and `<account>.localhost` for an override), so the client's agent resolves that name to 127.0.0.1.
import dns from 'node:dns';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EDGE_ORIGIN_KEY } from '#names';
import { AwsCaller } from '#failover/aws/aws-call';
import { createAwsClients } from '#failover/aws/clients';
import { writeEdgeKey } from '#failover/aws/kvs';
import { NO_OVERRIDES } from '#failover/aws/overrides';
import { fakeClock } from '#failover/clock';

const STORE = 'arn:aws:cloudfront::123456789012:key-value-store/0a1b2c3d-4e5f-6789-abcd-ef0123456789';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

let server: http.Server;
const seen: Seen[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    req.resume();
    const json = (status: number, body: object, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    // REST-JSON routes of the KeyValueStore API: GET /key-value-stores/{arn}, GET|PUT .../keys/{key}.
    if (req.method === 'GET' && !req.url!.includes('/keys/')) {
      return json(200, { KvsARN: STORE, ItemCount: 0, TotalSizeInBytes: 0, Created: 0 }, { etag: 'KV1' });
    }
    if (req.method === 'GET') {
      return json(404, { message: 'not found' }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
    }
    return json(200, { ItemCount: 1, TotalSizeInBytes: 40 }, { etag: 'KV2' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE: `http://localhost:${port}`,
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
  });
});

afterAll(async () => {
  process.env = saved;
  await new Promise((resolve) => server.close(resolve));
});

test('PutKey goes out SigV4A-signed for region set *, with If-Match, to the endpoint override', async () => {
  const clock = fakeClock();
  const clients = createAwsClients();
  // net.connect resolves through dns.lookup: send `<account>.localhost` to the stand-in.
  const hosts: string[] = [];
  const lookup = jest.spyOn(dns, 'lookup').mockImplementation((host: string, ...rest: unknown[]) => {
    hosts.push(host);
    const callback = rest[rest.length - 1] as (e: null, address: string | object[], family?: number) => void;
    const options: { all?: boolean } = rest.length > 1 ? (rest[0] as { all?: boolean }) : {};
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
  });
  const ctx = {
    regions: { pri: 'us-east-1', secd: 'us-east-2' },
    clients,
    caller: new AwsCaller(clock, { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 }),
    overrides: NO_OVERRIDES,
  };
  const change = await writeEdgeKey(ctx, STORE, 'f6g7h8i9j0.execute-api.us-east-2.amazonaws.com', 1, () => undefined);
  expect(change).toEqual({ before: undefined, changed: true });

  lookup.mockRestore();
  expect([...new Set(hosts)]).toEqual(['123456789012.localhost']);
  expect(seen.map((s) => s.method)).toEqual(['GET', 'GET', 'PUT']);
  const put = seen[2];
  expect(decodeURIComponent(put.url)).toContain(`/key-value-stores/${STORE}/keys/${EDGE_ORIGIN_KEY}`);
  expect(put.headers['if-match']).toBe('KV1');
  for (const request of seen) {
    expect(request.headers.authorization).toMatch(
      /^AWS4-ECDSA-P256-SHA256 Credential=AKIDTEST\/\d{8}\/cloudfront-keyvaluestore\/aws4_request/,
    );
    expect(request.headers['x-amz-region-set']).toBe('*');
  }
  expect(ctx.caller.sent.map((c) => c.action)).toEqual([
    'cloudfront-keyvaluestore:DescribeKeyValueStore',
    'cloudfront-keyvaluestore:GetKey',
    'cloudfront-keyvaluestore:PutKey',
  ]);
});
