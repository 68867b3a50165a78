// One region's MariaDB in the rehearsal: started fenced (read-only) on its persistent data dir with
// the rehearsal's three users, and stopped either in order or by SIGKILL (a disaster rehearsal). Which
// role it then takes is the replica manager's business, not this file's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import type { RegionRole } from '#names';
import type { Sql } from './admin-connection';
import { runningPid, startMariaDb, stopMariaDbAt, type MariaDbServer } from './mariadb';
import { sleep } from './process-util';
import type { LocalSecrets } from './secrets';

const SERVER_IDS: Record<RegionRole, number> = { pri: 1, secd: 2 };

export interface RegionDatabaseOptions {
  readonly role: RegionRole;
  readonly regionName: string;
  readonly dataDir: string;
  /** 0: any free port. */
  readonly port: number;
  readonly database: string;
  readonly secrets: LocalSecrets;
  readonly log: (line: string) => void;
}

export async function startRegionDatabase(o: RegionDatabaseOptions): Promise<MariaDbServer> {
  const log = (line: string) => o.log(`[${o.regionName} db] ${line}`);
  // Left behind by a supervisor that was killed: stop it, it will be restarted fenced.
  if (runningPid(o.dataDir)) {
    o.log(`stopping a leftover MariaDB on ${o.dataDir}`);
    await stopMariaDbAt(o.dataDir);
  }
  const fresh = !fs.existsSync(path.join(o.dataDir, 'mysql'));
  const db = await startMariaDb({
    dataDir: o.dataDir,
    port: o.port,
    serverId: SERVER_IDS[o.role],
    // Fenced at boot, always: only the replica manager opens the writer, after reading topology.json.
    readOnly: true,
    // The supervisor owns its lifecycle (orderly stop on Ctrl-C, SIGKILL on kill-region), not the launcher.
    detached: true,
    log,
  }).catch((error: Error) => {
    const key = `LOCAL_${o.role.toUpperCase()}_DB_PORT`;
    throw new Error(
      /port \d+ is in use/.test(error.message)
        ? `${o.regionName} database (${key}): ${error.message}; free it or set ${key}=0 in .env`
        : error.message,
      { cause: error },
    );
  });
  const root: Sql = { query: async (sql: string, values?: unknown) => [await db.query(sql, values as unknown[]), undefined] };
  await ensureUsers(root, o.secrets, o.database);
  // A fresh server's binlog holds only the launcher's setup (anonymous users dropped): forget it, or
  // those GTIDs would look like writes the other region never received.
  if (fresh) await db.query('RESET MASTER');
  log(`MariaDB on 127.0.0.1:${db.port} (server id ${SERVER_IDS[o.role]}, started read-only)`);
  return db;
}

/** SIGTERM waits for an orderly shutdown; SIGKILL is the disaster: no flush, no goodbye to the replica. */
export async function stopRegionDatabase(db: MariaDbServer, signal: NodeJS.Signals): Promise<void> {
  if (signal === 'SIGKILL' && db.running) {
    db.kill('SIGKILL');
    while (db.running) await sleep(20);
  }
  await db.stop();
}

/**
 * Users of one server, created with binary logging off so each server keeps its own and nothing
 * about users travels through replication: the app user (DML + DDL on the app database only, so
 * read_only binds it), the replication user, and the admin user the supervisor and failover use.
 */
async function ensureUsers(root: Sql, secrets: LocalSecrets, database: string): Promise<void> {
  await root.query('SET SESSION sql_log_bin = 0');
  try {
    await root.query('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [database]);
    const users: [string, string, string][] = [
      [
        secrets.appUser,
        secrets.appPassword,
        'GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES ' +
          `ON ${mysql.escapeId(database)}.* TO ?@?`,
      ],
      [
        secrets.replicationUser,
        secrets.replicationPassword,
        'GRANT REPLICATION SLAVE, REPLICATION SLAVE ADMIN, BINLOG MONITOR ON *.* TO ?@?',
      ],
      [secrets.adminUser, secrets.adminPassword, 'GRANT ALL PRIVILEGES ON *.* TO ?@?'],
    ];
    for (const [user, password, grant] of users) {
      for (const host of ['127.0.0.1', 'localhost']) {
        await root.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, host, password]);
        await root.query('ALTER USER ?@? IDENTIFIED BY ?', [user, host, password]);
        await root.query(grant, [user, host]);
      }
    }
  } finally {
    await root.query('SET SESSION sql_log_bin = 1');
  }
}
