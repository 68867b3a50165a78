// `npm run gameday` flags: defaults per mode, each bad value refused with what to do instead.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseGameDayArgs, readOutputsFile } from '../../util/gameday/args';

test('local: defaults and flags', () => {
  expect(parseGameDayArgs(['--local', '--scenario', 'failover'], {})).toEqual({
    kind: 'local',
    scenario: 'failover',
    useRunning: false,
    durationSeconds: 30,
    writers: 4,
    readers: 4,
    ratePerClient: 10,
    timeoutMs: 2000,
  });
  expect(
    parseGameDayArgs(
      [
        '--local',
        '--scenario',
        'switchover',
        '--duration',
        '5',
        '--lead-in',
        '1.5',
        '--writers',
        '2',
        '--readers',
        '0',
        '--out',
        'x',
        '--use-running',
      ],
      {},
    ),
  ).toMatchObject({ durationSeconds: 5, leadInSeconds: 1.5, writers: 2, readers: 0, out: 'x', useRunning: true });
  expect(parseGameDayArgs(['--help'], {})).toEqual({ kind: 'help' });
});

test.each([
  [[], /either --local .* or --url/],
  [['--local', '--url', 'https://d.cloudfront.net'], /either --local/],
  [['--local'], /needs --scenario switchover\|failover\|failback/],
  [['--local', '--scenario', 'chaos'], /unknown --scenario 'chaos'/],
  [['--local', '--scenario', 'failover', '--duration', '0'], /--duration 0 is invalid/],
  [['--local', '--scenario', 'failover', '--rate', '1.5'], /--rate 1.5 is invalid: a whole number/],
  [['--local', '--scenario', 'failover', '--writers', '0', '--readers', '0'], /nothing would be measured/],
  [['--local', '--scenario', 'failover', '--duration', '4', '--lead-in', '4'], /--lead-in 4 is invalid/],
  [['--local', '--scenario', 'failover', '--pipeline', 'pri'], /--pipeline only go with --url/],
  [['--local', '--scenario', 'failover', '--bogus'], /Unknown option '--bogus'/],
  [['--url', 'https://d.cloudfront.net', '--scenario', 'failover'], /go with --local/],
  [['--url', 'https://d.cloudfront.net'], /needs --token-url \(TokenUrl\), --client-id .*GAMEDAY_CLIENT_SECRET/],
  [['--url', 'http://d.cloudfront.net', '--token-url', 'https://t', '--client-id', 'c', '--client-secret', 's'], /use https/],
  [
    ['--url', 'https://d', '--token-url', 'https://t', '--client-id', 'c', '--client-secret', 's', '--pipeline', 'eu'],
    /--pipeline eu: use pri or secd/,
  ],
])('refused: %j', (argv, message) => {
  expect(() => parseGameDayArgs(argv, {})).toThrow(message);
});

test('remote: the secret from the environment, https added, http allowed on loopback only, pipelines deduplicated', () => {
  const args = parseGameDayArgs(
    [
      '--url',
      'd111.cloudfront.net/v1',
      '--token-url',
      'http://127.0.0.1:8801/oauth2/token',
      '--client-id',
      'abc',
      '--pipeline',
      'secd',
      '--pipeline',
      'secd',
    ],
    { GAMEDAY_CLIENT_SECRET: 'from-env' },
  );
  expect(args).toMatchObject({
    kind: 'remote',
    url: 'https://d111.cloudfront.net/v1',
    tokenUrl: 'http://127.0.0.1:8801/oauth2/token',
    clientId: 'abc',
    clientSecret: 'from-env',
    pipelines: ['secd'],
    keepData: false,
    durationSeconds: 600,
    timeoutMs: 5000,
  });
});

test('--outputs: describe-stacks JSON or a cdk outputs file, keys matched by prefix', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-args-'));
  try {
    const describe = path.join(dir, 'describe.json');
    fs.writeFileSync(
      describe,
      JSON.stringify({
        Stacks: [
          {
            Outputs: [
              { OutputKey: 'CloudfrontUrl', OutputValue: 'd111.cloudfront.net' },
              { OutputKey: 'TokenUrlABC123', OutputValue: 'https://x.auth.us-east-1.amazoncognito.com/oauth2/token' },
              { OutputKey: 'UserPoolClientId', OutputValue: 'client1' },
            ],
          },
        ],
      }),
    );
    expect(readOutputsFile(describe)).toEqual({
      url: 'd111.cloudfront.net',
      tokenUrl: 'https://x.auth.us-east-1.amazoncognito.com/oauth2/token',
      clientId: 'client1',
    });
    const cdk = path.join(dir, 'cdk.json');
    fs.writeFileSync(cdk, JSON.stringify({ 'ToDoMgmt-app-pri': { CloudfrontUrl: 'd222.cloudfront.net', UserPoolClientId: 'client2' } }));
    expect(parseGameDayArgs(['--outputs', cdk, '--token-url', 'https://t/oauth2/token', '--client-secret', 's'], {})).toMatchObject({
      url: 'https://d222.cloudfront.net',
      clientId: 'client2',
    });
    const empty = path.join(dir, 'empty.json');
    fs.writeFileSync(empty, '{"Stacks":[]}');
    expect(() => readOutputsFile(empty)).toThrow(/has none of the outputs/);
    expect(() => readOutputsFile(path.join(dir, 'missing.json'))).toThrow(/ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
