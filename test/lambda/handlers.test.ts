// The four functions against a real MariaDB: both event shapes, every status code of the happy and
// the bad-input paths, and byte-for-byte round trips of hostile and non-ASCII text.
import type { MariaDbServer } from '../../util/local/mariadb';
import { handler as createTable } from '#lambda/handlers/create-table';
import { handler as getToDos } from '#lambda/handlers/get-todos';
import { handler as removeToDos } from '#lambda/handlers/remove-todos';
import { handler as upsertToDos } from '#lambda/handlers/upsert-todos';
import { closeDb } from '#lambda/shared/db';
import { APP_DB, apiWithBody, apiWithQuery, fixture, read, rowCount, startTestDatabase } from './support';

jest.setTimeout(30_000);

let server: MariaDbServer;

beforeAll(async () => {
  server = await startTestDatabase();
  expect(read(await createTable(fixture('direct-create-table'))).statusCode).toBe(200);
});

afterAll(async () => {
  await closeDb();
  await server?.stop();
});

beforeEach(async () => {
  await server.query(`TRUNCATE TABLE ${APP_DB.database}.ToDos`);
});

const create = async (task: string, status = 'wip') => {
  const r = read(await upsertToDos({ task, status }));
  expect(r.statusCode).toBe(201);
  return r.response as { id: number; task: string; status: string; createdTime: string };
};

describe("the article's direct invocations", () => {
  test('CREATE_TABLE is idempotent and says whether it created the table and the application user', async () => {
    const again = read(await createTable(fixture('direct-create-table')));
    expect(again).toEqual({
      statusCode: 200,
      status: 'ok',
      response: { table: 'ToDos', created: false, appUser: 'todo_app', appUserCreated: false },
    });
  });

  test('create, update, get and remove by payload', async () => {
    const created = read(await upsertToDos(fixture('direct-create')));
    expect(created.statusCode).toBe(201);
    expect(created.response).toEqual({ id: 1, task: 'Test Primary', status: 'wip', createdTime: expect.any(String) });
    expect(Math.abs(Date.parse(created.response.createdTime) - Date.now())).toBeLessThan(60_000);

    const updated = read(await upsertToDos({ ...fixture<object>('direct-update'), status: 'done' }));
    expect(updated).toMatchObject({ statusCode: 200, status: 'ok', response: { id: 1, task: 'Test Primary', status: 'done' } });

    const got = read(await getToDos(fixture('direct-get')));
    expect(got).toEqual({ statusCode: 200, status: 'ok', response: updated.response });

    const removed = read(await removeToDos(fixture('direct-remove')));
    expect(removed).toEqual({ statusCode: 200, status: 'ok', response: { id: 1, deleted: true } });
    expect(read(await getToDos(fixture('direct-get'))).statusCode).toBe(404);
  });

  test('a payload that is not a JSON object is a 400 in the direct envelope', async () => {
    for (const payload of ['{"id":1}', [1, 2], null, 42]) {
      const r = read(await getToDos(payload as never));
      expect(r).toEqual({ statusCode: 400, status: 'error', response: expect.stringContaining('must be a JSON object') });
    }
  });

  test('CREATE_TABLE with another action or extra fields is a 400', async () => {
    expect(read(await createTable({ action: 'DROP_TABLE' }))).toMatchObject({
      statusCode: 400,
      response: expect.stringContaining("action must be 'CREATE_TABLE'"),
    });
    expect(read(await createTable({ action: 'CREATE_TABLE', force: true }))).toMatchObject({
      statusCode: 400,
      response: expect.stringContaining("unknown field 'force'"),
    });
    expect(read(await createTable({}))).toMatchObject({ statusCode: 400, response: expect.stringContaining('action: must be a string') });
  });
});

describe("API Gateway events (the article's curl calls)", () => {
  test('POST creates (201), POST with id updates (200), GET ?id= reads, DELETE with body removes', async () => {
    await create('first');
    const created = read(await upsertToDos(fixture('api-post-create')));
    expect(created).toMatchObject({ statusCode: 201, status: 'ok', response: { id: 2, task: 'Sample Task new', status: 'wip' } });
    expect(created.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    expect(created.headers!['x-request-id']).toBe('c0ffee00-0000-4000-8000-000000000001');

    const updated = read(await upsertToDos(fixture('api-post-update')));
    expect(updated).toMatchObject({ statusCode: 200, response: { id: 2, task: 'Sample Task Updated', status: 'done' } });

    const got = read(await getToDos(apiWithQuery('api-get-by-id', { id: '2' })));
    expect(got).toEqual({ statusCode: 200, status: 'ok', response: updated.response, headers: expect.any(Object) });

    expect(read(await removeToDos(fixture('api-delete-body'))).response).toEqual({ id: 2, deleted: true });
    expect(read(await getToDos(apiWithQuery('api-get-by-id', { id: '2' }))).statusCode).toBe(404);
    expect(await rowCount(server)).toBe(1);
  });

  test('DELETE also takes ?id=, but not the id in both places', async () => {
    await create('a');
    await create('b');
    expect(read(await removeToDos(fixture('api-delete-query'))).statusCode).toBe(200);
    expect(read(await removeToDos(fixture('api-delete-query')))).toMatchObject({ statusCode: 404, response: 'ToDo 2 not found' });
    const both = fixture('api-delete-query', { body: '{"id":"1"}' });
    expect(read(await removeToDos(both))).toMatchObject({ statusCode: 400, response: expect.stringContaining('not both') });
    expect(read(await removeToDos(apiWithBody('api-delete-body', '')))).toMatchObject({
      statusCode: 400,
      response: expect.stringContaining('id: must be'),
    });
    expect(await rowCount(server)).toBe(1);
  });

  test('a base64-encoded body (binary media types) is decoded as UTF-8', async () => {
    const r = read(await upsertToDos(fixture('api-post-create-base64')));
    expect(r).toMatchObject({ statusCode: 201, response: { task: 'Grüße aus Köln 🍺', status: 'wip' } });
    const invalid = fixture('api-post-create-base64', { body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64') });
    expect(read(await upsertToDos(invalid))).toMatchObject({ statusCode: 400, response: 'request body is not valid UTF-8' });
  });

  test('HTTP API (payload v2) events work too', async () => {
    await create('v2');
    const r = read(await getToDos(fixture('apigw-v2-get-by-id')));
    expect(r).toMatchObject({ statusCode: 200, response: { id: 1, task: 'v2' } });
    expect(r.headers!['x-request-id']).toBe('c0ffee00-0000-4000-8000-000000000002');
  });

  test('a method the function does not serve is a 405', async () => {
    const r = read(await upsertToDos(fixture('api-get-by-id')));
    expect(r).toMatchObject({ statusCode: 405, status: 'error', response: 'GET is not supported here; use POST' });
  });

  test('the Lambda request id wins over the API request id', async () => {
    await create('x');
    const r = read(await getToDos(fixture('api-get-by-id'), { awsRequestId: 'lambda-request-1' }));
    expect(r.headers!['x-request-id']).toBe('lambda-request-1');
  });
});

describe('listing', () => {
  test('newest first, limit and an opaque cursor until the last page', async () => {
    for (let i = 1; i <= 5; i++) await create(`task ${i}`);
    const first = read(await getToDos(apiWithQuery('api-get-list', { limit: '2' })));
    expect(first.statusCode).toBe(200);
    expect(first.response.items.map((t: { id: number }) => t.id)).toEqual([5, 4]);
    expect(typeof first.response.nextCursor).toBe('string');

    const second = read(await getToDos(apiWithQuery('api-get-list', { limit: '2', cursor: first.response.nextCursor! })));
    expect(second.response.items.map((t: { id: number }) => t.id)).toEqual([3, 2]);
    const last = read(await getToDos(apiWithQuery('api-get-list', { limit: '2', cursor: second.response.nextCursor! })));
    expect(last.response).toEqual({ items: [expect.objectContaining({ id: 1, task: 'task 1' })], nextCursor: null });
  });

  test('default limit is 50, max 100', async () => {
    const values = Array.from({ length: 120 }, (_, i) => `('t${i}', 'wip')`).join(',');
    await server.query(`INSERT INTO ${APP_DB.database}.ToDos (Task, Status) VALUES ${values}`);
    const byDefault = read(await getToDos(fixture('api-get-list')));
    expect(byDefault.response.items).toHaveLength(50);
    expect(byDefault.response.items[0].id).toBe(120);
    const max = read(await getToDos(apiWithQuery('api-get-list', { limit: '100' })));
    expect(max.response.items).toHaveLength(100);
    expect(read(await getToDos({})).response.items).toHaveLength(50);
  });

  test('an empty table is an empty page', async () => {
    expect(read(await getToDos(fixture('api-get-list'))).response).toEqual({ items: [], nextCursor: null });
  });

  test.each([
    [{ limit: '0' }, 'limit: must be an integer from 1 to 100'],
    [{ limit: '101' }, 'limit: must be an integer from 1 to 100'],
    [{ limit: 'ten' }, 'limit: must be an integer from 1 to 100'],
    [{ cursor: 'bm90LWEtY3Vyc29y' }, 'cursor: is not a cursor returned by this API'],
    [{ cursor: "1' OR '1'='1" }, 'cursor: is not a cursor returned by this API'],
    [{ id: '1', limit: '5' }, 'id cannot be combined with limit or cursor'],
    [{ sort: 'asc' }, "unknown field 'sort'"],
  ])('bad query %j is a 400', async (query, message) => {
    const r = read(await getToDos(apiWithQuery('api-get-list', query)));
    expect(r).toMatchObject({ statusCode: 400, status: 'error', response: expect.stringContaining(message) });
  });

  test('a repeated query parameter is a 400', async () => {
    const event = fixture('api-get-by-id', { multiValueQueryStringParameters: { id: ['1', '2'] } });
    expect(read(await getToDos(event))).toMatchObject({ statusCode: 400, response: "query parameter 'id' is given more than once" });
  });
});

describe('validation', () => {
  test.each([
    ['{bad json', 'request body is not valid JSON'],
    ['', 'request body is required'],
    ['null', 'request body must be a JSON object'],
    ['[1,2]', 'request body must be a JSON object'],
    ['"just a string"', 'request body must be a JSON object'],
    ['{"task":"t","status":"s"', 'request body is not valid JSON'],
  ])('malformed body %j is a 400', async (body, message) => {
    const r = read(await upsertToDos(apiWithBody('api-post-create', body)));
    expect(r).toMatchObject({ statusCode: 400, status: 'error', response: expect.stringContaining(message) });
    expect(await rowCount(server)).toBe(0);
  });

  test.each([
    [{ status: 'wip' }, 'task: is required to create a ToDo'],
    [{ task: 'x' }, 'status: is required to create a ToDo'],
    [{ task: '', status: 'wip' }, 'task: must not be empty or blank'],
    [{ task: '   ', status: 'wip' }, 'task: must not be empty or blank'],
    [{ task: 42, status: 'wip' }, 'task: must be a string'],
    [{ task: 'x', status: null }, 'status: must be a string'],
    [{ task: 'x', status: 'wip', owner: 'me' }, "unknown field 'owner'"],
    [{ task: 'x', status: 'wip', Task: 'y', STATUS: 'z' }, "unknown fields 'Task', 'STATUS'"],
    [{ task: 'x'.repeat(51), status: 'wip' }, 'task: must be at most 50 characters'],
    [{ task: 'x', status: 's'.repeat(51) }, 'status: must be at most 50 characters'],
    [{ task: '🎉'.repeat(51), status: 'wip' }, 'task: must be at most 50 characters'],
    [{ task: 'broken \ud800 surrogate', status: 'wip' }, 'task: must be valid Unicode'],
    [{ id: '2' }, 'an update needs task and/or status'],
  ])('create/update body %j is a 400', async (body, message) => {
    const r = read(await upsertToDos(apiWithBody('api-post-create', body)));
    expect(r).toMatchObject({ statusCode: 400, status: 'error', response: expect.stringContaining(message) });
    expect(await rowCount(server)).toBe(0);
  });

  test('all problems are reported at once', async () => {
    const r = read(await upsertToDos({ task: '', status: 7, extra: 1 }));
    expect(r.response).toBe("invalid body: task: must not be empty or blank; status: must be a string; unknown field 'extra'");
  });

  test.each(['0', '-1', '1.5', 'abc', '1 OR 1=1', "1'; DROP TABLE ToDos; --", '4294967296', '', ' 1', '0x10', '1e3'])(
    'id %j is a 400 everywhere',
    async (id) => {
      await create('keep me');
      for (const r of [
        read(await getToDos(apiWithQuery('api-get-by-id', { id }))),
        read(await getToDos({ id })),
        read(await upsertToDos({ id, task: 'x', status: 'y' })),
        read(await removeToDos(apiWithBody('api-delete-body', { id }))),
        read(await removeToDos({ id })),
      ]) {
        expect(r).toMatchObject({ statusCode: 400, response: expect.stringContaining('id: must be a positive integer up to 4294967295') });
      }
      expect(await rowCount(server)).toBe(1);
    },
  );

  test('numeric ids are accepted as well as strings', async () => {
    await create('n');
    expect(read(await getToDos({ id: 1 })).statusCode).toBe(200);
    expect(read(await upsertToDos({ id: 1, status: 'done' })).response.status).toBe('done');
  });
});

describe('update and delete of missing items', () => {
  test('update of a missing id is a 404 and writes nothing', async () => {
    const r = read(await upsertToDos({ id: '999', task: 'x', status: 'y' }));
    expect(r).toEqual({ statusCode: 404, status: 'error', response: 'ToDo 999 not found' });
    expect(await rowCount(server)).toBe(0);
  });

  test('an update with unchanged values still finds its row (200)', async () => {
    const t = await create('same', 'wip');
    const r = read(await upsertToDos({ id: String(t.id), task: 'same', status: 'wip' }));
    expect(r).toMatchObject({ statusCode: 200, response: { id: t.id, task: 'same', status: 'wip' } });
  });

  test('a partial update keeps the other column', async () => {
    const t = await create('keep task', 'wip');
    expect(read(await upsertToDos({ id: t.id, status: 'done' })).response).toMatchObject({ task: 'keep task', status: 'done' });
    expect(read(await upsertToDos({ id: t.id, task: 'new task' })).response).toMatchObject({ task: 'new task', status: 'done' });
  });

  test('GET and DELETE of a missing id are 404s', async () => {
    expect(read(await getToDos(fixture('api-get-by-id')))).toMatchObject({ statusCode: 404, response: 'ToDo 1 not found' });
    expect(read(await removeToDos(fixture('direct-remove')))).toMatchObject({ statusCode: 404, response: 'ToDo 1 not found' });
  });
});

describe('text is stored and returned byte for byte', () => {
  const samples: Array<[string, string]> = [
    ['quotes', `it's a "quoted" \`task\``],
    ['backslashes', "C:\\temp\\new\\table \\' \\0 \\n"],
    ['SQL injection', "'; DROP TABLE ToDos; --"],
    ['SQL injection 2', "1' OR '1'='1' /* */ #"],
    ['LIKE wildcards', '100% of _all_ tasks'],
    ['emoji', '🎉 done 👍🏽 👩‍👩‍👧'],
    ['4-byte CJK and RTL', '𠜎𠜱 漢字 مرحبا עברית'],
    ['combining marks', 'e\u0301 vs \u00e9, n\u0303'],
    ['control characters', 'line1\nline2\ttab\r\n\u0000nul\u0007bell'],
    ['trailing spaces', '  padded  '],
    ['exactly 50 emoji', '😀'.repeat(50)],
    ['exactly 50 ASCII', 'x'.repeat(50)],
  ];

  test.each(samples)('%s', async (_name, text) => {
    const created = await create(text, text);
    expect(created.task).toBe(text);
    expect(created.status).toBe(text);

    const api = read(await getToDos(apiWithQuery('api-get-by-id', { id: String(created.id) })));
    expect(api.response.task).toBe(text);
    expect(api.response.status).toBe(text);

    // The bytes in the table are the UTF-8 of what was sent: nothing escaped, truncated or replaced.
    const [row] = await server.query<Array<{ task: string; status: string }>>(
      `SELECT HEX(Task) AS task, HEX(Status) AS status FROM ${APP_DB.database}.ToDos WHERE id = ?`,
      [created.id],
    );
    const hex = Buffer.from(text, 'utf8').toString('hex').toUpperCase();
    expect(row).toEqual({ task: hex, status: hex });

    await server.query(`UPDATE ${APP_DB.database}.ToDos SET Task = 'reset', Status = 'reset' WHERE id = ?`, [created.id]);
    const updated = read(await upsertToDos(apiWithBody('api-post-update', { id: created.id, task: text, status: text })));
    expect(updated.response).toMatchObject({ task: text, status: text });
  });

  test('the table survives every injection attempt', async () => {
    await create("'; DROP TABLE ToDos; --");
    await create('x', "wip'); DELETE FROM ToDos; --");
    const tables = await server.query<unknown[]>(`SHOW TABLES FROM ${APP_DB.database}`);
    expect(tables).toHaveLength(1);
    expect(await rowCount(server)).toBe(2);
  });
});
