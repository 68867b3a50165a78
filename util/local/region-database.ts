// One region's MariaDB in the rehearsal: started fenced (read-only) on its persistent data dir with the
// app database and the rehearsal's own two users (what Aurora gives a new cluster: the database and a
// master user), and stopped either in order or by SIGKILL (a disaster rehearsal). The application user
// the functions log in as is not made here: CREATE_TABLE creates it as the master-like admin, on the
// writer, and replication brings it to the other region, as on AWS. Which role the database then takes
// is the replica manager's business, not this file's.
import * as fs from 'node:fs';
import * as path from 'node:path';
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
 * The app database and the users of one server, created with binary logging off so each server keeps
 * its own and nothing of this travels through replication: the replication user, and the admin user the
 * supervisor, the failover and the table step use (the Aurora master user's stand-in).
 */
async function ensureUsers(root: Sql, secrets: LocalSecrets, database: string): Promise<void> {
  await root.query('SET SESSION sql_log_bin = 0');
  try {
    await root.query('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [database]);
    const users: [string, string, string][] = [
      [
        secrets.replicationUser,
        secrets.replicationPassword,
        'GRANT REPLICATION SLAVE, REPLICATION SLAVE ADMIN, BINLOG MONITOR ON *.* TO ?@?',
      ],
      // WITH GRANT OPTION: the table step grants the application user its privileges, as the master user does.
      [secrets.adminUser, secrets.adminPassword, 'GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION'],
    ];
    // Earlier rehearsals gave each server its own application user (DML and DDL, per host): it would
    // shadow the one CREATE_TABLE makes ('%', DML on the table only), so it goes.
    for (const host of ['127.0.0.1', 'localhost']) await root.query('DROP USER IF EXISTS ?@?', [secrets.appUser, host]);
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
