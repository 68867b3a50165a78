// Cold-start settings and IAM auth, without a database: env validation, the token cache, the driver
// options for the RDS Proxy, and a real (offline) token signature.
import type { Connection } from 'mysql2';
import { poolOptions } from '#lambda/shared/db';
import { readDbSettings, readTableStepSettings } from '#lambda/shared/env';
import { credentialsFromEnv, IamTokenCache, presignRdsConnect, rdsSigner, TOKEN_RENEW_AFTER_MS } from '#lambda/shared/iam-token';

const base = { DB_HOST: 'proxy.example', DB_NAME: 'todos', DB_USER: 'app', AWS_REGION: 'us-east-1' };

describe('readDbSettings', () => {
  test('IAM by default, TLS on, short timeouts', () => {
    expect(readDbSettings(base)).toEqual({
      host: 'proxy.example',
      port: 3306,
      readHost: 'proxy.example',
      readPort: 3306,
      roleRecheckMs: 5000,
      database: 'todos',
      user: 'app',
      auth: 'iam',
      password: undefined,
      tls: true,
      region: 'us-east-1',
      connectTimeoutMs: 3000,
      queryTimeoutMs: 5000,
      poolSize: 2,
    });
  });

  test('password auth for local runs', () => {
    const s = readDbSettings({ ...base, AWS_REGION: undefined, DB_AUTH: 'password', DB_PASSWORD: 'pw', DB_PORT: '3307' });
    expect(s).toMatchObject({ auth: 'password', password: 'pw', tls: false, port: 3307 });
  });

  test.each([
    [{ DB_HOST: '' }, 'environment variable DB_HOST is required'],
    [{ DB_NAME: undefined }, 'environment variable DB_NAME is required'],
    [{ DB_USER: ' ' }, 'environment variable DB_USER is required'],
    [{ DB_AUTH: 'kerberos' }, "environment variable DB_AUTH must be 'iam' or 'password' (got 'kerberos')"],
    [{ DB_AUTH: 'password' }, 'environment variable DB_PASSWORD is required when DB_AUTH=password'],
    [{ AWS_REGION: undefined }, 'environment variable AWS_REGION is required when DB_AUTH=iam'],
    [{ DB_PORT: '99999' }, 'environment variable DB_PORT must be an integer from 1 to 65535'],
    [{ DB_PORT: '33o6' }, 'environment variable DB_PORT must be an integer from 1 to 65535'],
    [{ DB_CONNECT_TIMEOUT_MS: '5s' }, 'environment variable DB_CONNECT_TIMEOUT_MS must be an integer'],
    [{ DB_TLS: 'yes' }, 'environment variable DB_TLS must be true or false'],
    [{ DB_READ_PORT: '0' }, 'environment variable DB_READ_PORT must be an integer from 1 to 65535'],
    [{ DB_ROLE_RECHECK_SECONDS: '1h' }, 'environment variable DB_ROLE_RECHECK_SECONDS must be an integer from 0 to 300'],
  ])('%j fails with a message that names the variable', (override, message) => {
    expect(() => readDbSettings({ ...base, ...override })).toThrow(message);
  });

  test("the proxy's read-only endpoint: its own host on 3306, or the default endpoint when not given", () => {
    expect(readDbSettings({ ...base, DB_READ_HOST: 'proxy-read-only.example' })).toMatchObject({
      host: 'proxy.example',
      readHost: 'proxy-read-only.example',
      readPort: 3306,
    });
    expect(readDbSettings({ ...base, DB_PORT: '3307', DB_ROLE_RECHECK_SECONDS: '0' })).toMatchObject({
      readHost: 'proxy.example',
      readPort: 3307,
      roleRecheckMs: 0,
    });
  });
});

describe('readTableStepSettings', () => {
  const step = { ...base, DB_USER: 'todoadmin', DB_APP_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:1:secret:app' };

  test('on AWS: the master user is DB_USER, the app user todo_app, its password from the secret, 10 minutes of waiting', () => {
    expect(readTableStepSettings(step)).toEqual({
      adminUser: 'todoadmin',
      adminPassword: undefined,
      appUser: 'todo_app',
      appPassword: { secretArn: step.DB_APP_SECRET_ARN },
      waitMs: 600_000,
    });
  });

  test('locally: an admin user of its own, passwords from the env', () => {
    const local = {
      ...base,
      DB_AUTH: 'password',
      DB_USER: 'todo_app',
      DB_PASSWORD: 'app',
      DB_ADMIN_USER: 'todo_admin',
      DB_ADMIN_PASSWORD: 'admin',
      DB_APP_PASSWORD: 'app',
      DB_SETUP_WAIT_SECONDS: '20',
    };
    expect(readTableStepSettings(local)).toEqual({
      adminUser: 'todo_admin',
      adminPassword: 'admin',
      appUser: 'todo_app',
      appPassword: { value: 'app' },
      waitMs: 20_000,
    });
  });

  test.each([
    [{ DB_APP_SECRET_ARN: undefined }, 'environment variable DB_APP_SECRET_ARN (or DB_APP_PASSWORD) is required'],
    [{ DB_APP_USER: 'todoadmin' }, 'environment variable DB_APP_USER must differ from the user the table step logs in as'],
    [{ DB_APP_USER: "x'; DROP USER" }, 'environment variable DB_APP_USER must be 1 to 32 of [A-Za-z0-9_]'],
    [{ DB_SETUP_WAIT_SECONDS: '-1' }, 'environment variable DB_SETUP_WAIT_SECONDS must be an integer from 0 to 3600'],
  ])('%j fails with a message that names the variable', (override, message) => {
    expect(() => readTableStepSettings({ ...step, ...override })).toThrow(message);
  });
});

describe('IamTokenCache', () => {
  test('signs once, reuses the token for 10 minutes, then renews it', async () => {
    let now = 1_000_000;
    let n = 0;
    const cache = new IamTokenCache(
      () => Promise.resolve(`token-${++n}`),
      () => now,
    );
    expect(() => cache.current()).toThrow('before it was signed');
    expect(await cache.fresh()).toBe('token-1');
    now += TOKEN_RENEW_AFTER_MS - 1;
    expect(await cache.fresh()).toBe('token-1');
    now += 1;
    expect(await cache.fresh()).toBe('token-2');
    expect(cache.current()).toBe('token-2');
  });

  test('concurrent callers share one signing; a failed signing is retried next time', async () => {
    let calls = 0;
    let fail = true;
    const cache = new IamTokenCache(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      if (fail) throw new Error('no credentials');
      return 'ok';
    });
    await expect(Promise.all([cache.fresh(), cache.fresh(), cache.fresh()])).rejects.toThrow('no credentials');
    expect(calls).toBe(1);
    fail = false;
    expect(await Promise.all([cache.fresh(), cache.fresh()])).toEqual(['ok', 'ok']);
    expect(calls).toBe(2);
  });
});

describe('driver options for the RDS Proxy', () => {
  test('IAM: verified TLS and the token as clear-text password, renewed per new connection', async () => {
    let n = 0;
    const tokens = new IamTokenCache(() => Promise.resolve(`tok${++n}`));
    const options = poolOptions(readDbSettings(base), tokens);
    expect(options.ssl).toEqual({ rejectUnauthorized: true, minVersion: 'TLSv1.2' });
    expect(options.password).toBeUndefined();
    expect(options.charset).toBe('UTF8MB4_UNICODE_CI');
    await tokens.fresh();
    const plugin = options.authPlugins!.mysql_clear_password({ connection: {} as Connection, command: '' });
    expect(plugin(Buffer.alloc(0))).toEqual(Buffer.from('tok1\0'));
  });

  test('password: no TLS unless asked, no clear-text plugin', () => {
    const options = poolOptions(readDbSettings({ ...base, DB_AUTH: 'password', DB_PASSWORD: 'pw' }));
    expect(options).toMatchObject({ password: 'pw', ssl: undefined, authPlugins: undefined, connectTimeout: 3000, connectionLimit: 2 });
  });

  const creds = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    sessionToken: 'IQoJb3JpZ2luX2VjE+/=session',
  };
  const target = {
    host: 'todomgmt-infra-pri-rds-proxy.proxy-abc.us-east-2.rds.amazonaws.com',
    port: 3306,
    user: 'todo_app',
    region: 'us-east-2',
  };
  const params = (token: string) => {
    expect(token.startsWith(`${target.host}:3306/?`)).toBe(true);
    return Object.fromEntries(new URLSearchParams(token.slice(token.indexOf('?') + 1)));
  };

  test.each([
    ['with a session token (Lambda)', creds],
    ['without a session token', { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey }],
  ])('our token is the one @aws-sdk/rds-signer makes, %s', async (_name, credentials) => {
    const { Signer } = await import('@aws-sdk/rds-signer');
    const now = new Date('2026-11-30T03:04:05.678Z');
    jest.useFakeTimers({ now, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const reference = await new Signer({
        hostname: target.host,
        port: target.port,
        username: target.user,
        region: target.region,
        credentials,
      }).getAuthToken();
      const ours = presignRdsConnect(target, credentials, now);
      expect(params(ours)).toEqual(params(reference));
      expect(params(ours)['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
      expect(params(ours)).toMatchObject({
        Action: 'connect',
        DBUser: 'todo_app',
        'X-Amz-Expires': '900',
        'X-Amz-Date': '20261130T030405Z',
      });
    } finally {
      jest.useRealTimers();
    }
  });

  test('the signer takes the function role credentials from the environment', async () => {
    const token = await rdsSigner(target, () =>
      credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'tok' }),
    )();
    expect(params(token)).toMatchObject({
      'X-Amz-Security-Token': 'tok',
      'X-Amz-Credential': expect.stringMatching(/^AKIDENV\/\d{8}\/us-east-2\/rds-db\/aws4_request$/),
    });
    expect(() => credentialsFromEnv({})).toThrow('DB_AUTH=iam needs AWS credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY');
  });
});
