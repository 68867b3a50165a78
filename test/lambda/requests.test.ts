// What a request body may be, decided before any database work (so no database here): bounded answers
// and log lines for unknown fields, bodies that are not UTF-8 or not JSON, the region header on every
// API answer, and the service name the environment gives the logs.
import type { Logger } from '@aws-lambda-powertools/logger';
import { handler as removeToDos } from '#lambda/handlers/remove-todos';
import { handler as upsertToDos } from '#lambda/handlers/upsert-todos';
import { REGION_HEADER } from '#routes';
import { apiWithBody, captureLogs, fixture, read } from './support';

const withBody = (body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  fixture('api-post-create', { body, headers, isBase64Encoded: false });

describe('unknown fields', () => {
  test('a body with 100 000 unknown fields: the 400 names three and counts the rest; answer and log line stay short', async () => {
    const body: Record<string, number> = { task: 1 };
    for (let i = 0; i < 100_000; i++) body[`field${i}`] = i;
    let r: ReturnType<typeof read> | undefined;
    const lines = await captureLogs(
      async () => {
        r = read(await upsertToDos(apiWithBody('api-post-create', body)));
      },
      { level: 'INFO' },
    );
    expect(r).toMatchObject({ statusCode: 400 });
    expect(r!.response).toContain("unknown fields 'field0', 'field1', 'field2' and 99997 more (100000 in all)");
    expect((r!.response as unknown as string).length).toBeLessThanOrEqual(500);
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0]).length).toBeLessThan(2000);
  });

  test('a field name is shortened and its control characters escaped', async () => {
    const name = `evil\r\nX-Injected: 1${'a'.repeat(500)}`;
    const r = read(await upsertToDos(apiWithBody('api-post-create', { task: 'x', status: 'y', [name]: 1 })));
    expect(r.statusCode).toBe(400);
    expect(r.response).toContain(`unknown field 'evil\\r\\nX-Injected: 1${'a'.repeat(21)}…'`);
    expect(r.response).not.toContain('\r');
  });
});

describe('bodies that are not UTF-8', () => {
  test('bytes that were not UTF-8 (U+FFFD in a text body) are a 400, never stored as U+FFFD', async () => {
    const decoded = Buffer.from([...Buffer.from('{"task":"caf'), 0xe9, ...Buffer.from('","status":"wip"}')]).toString('utf8');
    expect(decoded).toContain('\uFFFD');
    const r = read(await upsertToDos(withBody(decoded)));
    expect(r).toMatchObject({ statusCode: 400, response: expect.stringContaining('request body is not valid UTF-8') });
  });

  test('a base64 body that is not UTF-8 is a 400', async () => {
    const body = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]).toString('base64');
    const r = read(await upsertToDos(fixture('api-post-create', { body, isBase64Encoded: true })));
    expect(r).toMatchObject({ statusCode: 400, response: 'request body is not valid UTF-8' });
  });

  test('U+FFFD meant by the client, sent as the \\ufffd escape, gets through to validation', async () => {
    const r = read(await upsertToDos(withBody('{"task":"\\ufffd","status":"wip","extra":1}')));
    expect(r).toMatchObject({ statusCode: 400, response: "invalid body: unknown field 'extra'" });
  });
});

describe('Content-Type', () => {
  test.each([
    ['text/plain', 'the request body must be JSON: send Content-Type: application/json (got "text/plain")'],
    ['application/x-www-form-urlencoded', 'the request body must be JSON'],
    ['application/json; charset=iso-8859-1', 'the request body must be UTF-8'],
  ])('%s is a 415, before the body is read', async (type, message) => {
    const r = read(await upsertToDos(withBody('{"task":"x","status":"y","extra":1}', { 'content-type': type })));
    expect(r).toMatchObject({ statusCode: 415, status: 'error', response: expect.stringContaining(message) });
  });

  test.each([['application/json'], ['Application/JSON; charset=UTF-8'], [undefined]])(
    '%s is JSON (none: as API Gateway assumes)',
    async (type) => {
      const r = read(await upsertToDos(withBody('{"task":"x","status":"y","extra":1}', type ? { 'Content-Type': type } : {})));
      expect(r).toMatchObject({ statusCode: 400, response: "invalid body: unknown field 'extra'" });
    },
  );

  test('an empty body needs no Content-Type (DELETE /v1?id=)', async () => {
    const r = read(await removeToDos(fixture('api-delete-query', { body: '', headers: { 'content-type': 'text/plain' } })));
    expect(r.statusCode).not.toBe(415);
  });
});

describe('every API answer names the region that gave it', () => {
  const saved = process.env.AWS_REGION;
  afterAll(() => {
    if (saved === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = saved;
  });

  test('400 and 415 alike carry x-todomgmt-region = AWS_REGION', async () => {
    process.env.AWS_REGION = 'us-east-2';
    for (const event of [apiWithBody('api-post-create', { task: '' }), withBody('{}', { 'content-type': 'text/plain' })]) {
      expect(read(await upsertToDos(event)).headers).toMatchObject({ [REGION_HEADER]: 'us-east-2' });
    }
  });
});

test("the logger's service name is the environment's (POWERTOOLS_SERVICE_NAME), todomgmt without it", async () => {
  const serviceOf = async (name: string | undefined) => {
    if (name === undefined) delete process.env.POWERTOOLS_SERVICE_NAME;
    else process.env.POWERTOOLS_SERVICE_NAME = name;
    jest.resetModules();
    const { handler } = await import('#lambda/handlers/upsert-todos');
    const { logger: log } = (await import('#lambda/shared/logger')) as { logger: Logger };
    const lines = await captureLogs(() => handler(apiWithBody('api-post-create', { task: '' })).then(() => undefined), {
      level: 'INFO',
      log,
    });
    return lines[0].service;
  };
  try {
    expect(await serviceOf('todomgmt-secd')).toBe('todomgmt-secd');
    expect(await serviceOf(undefined)).toBe('todomgmt');
  } finally {
    delete process.env.POWERTOOLS_SERVICE_NAME;
  }
});
