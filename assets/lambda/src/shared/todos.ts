// The ToDos table and every statement on it. Placeholders only: every value goes through the driver's
// escaping, so quotes, backslashes or SQL fragments in a task are just characters.
import type { ResultSetHeader, RowDataPacket } from 'mysql2';
import { query } from './db';
import { NotFoundError } from './errors';
import { encodeCursor, STATUS_MAX_CHARS, TASK_MAX_CHARS } from './validation';

export const TABLE_NAME = 'ToDos';

// Columns as in the original sample (id, CreatedTime, Status, Task; VARCHAR(50) text), made NOT NULL,
// utf8mb4 so that emoji round-trip, and an unsigned INT id instead of MEDIUMINT (16 M ids).
export const CREATE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${TABLE_NAME} (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT,
  CreatedTime TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  Status VARCHAR(${STATUS_MAX_CHARS}) NOT NULL,
  Task VARCHAR(${TASK_MAX_CHARS}) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;

export interface ToDo {
  readonly id: number;
  readonly task: string;
  readonly status: string;
  /** ISO 8601, UTC. */
  readonly createdTime: string;
}

export interface ToDoPage {
  readonly items: readonly ToDo[];
  /** Pass as `cursor` to get the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

// UNIX_TIMESTAMP() makes the creation time independent of the session and server time zones.
const SELECT_COLUMNS = `SELECT id, Task AS task, Status AS status, UNIX_TIMESTAMP(CreatedTime) AS created FROM ${TABLE_NAME}`;

interface ToDoRow extends RowDataPacket {
  id: number;
  task: string;
  status: string;
  created: number | string;
}

const toToDo = (row: ToDoRow): ToDo => ({
  id: Number(row.id),
  task: row.task,
  status: row.status,
  createdTime: new Date(Number(row.created) * 1000).toISOString(),
});

/** `writer`: read on the writer, to see the write just made (a read-only endpoint may lag behind it). */
export async function getToDo(id: number, writer = false): Promise<ToDo> {
  const rows = await query<ToDoRow[]>(`${SELECT_COLUMNS} WHERE id = ?`, [id], { idempotent: true, writer });
  if (rows.length === 0) throw new NotFoundError(`ToDo ${id} not found`);
  return toToDo(rows[0]);
}

/** Newest first, keyset-paginated on id (stable while rows are added or removed). */
export async function listToDos(limit: number, beforeId?: number): Promise<ToDoPage> {
  // One row more than asked tells whether another page exists.
  const rows =
    beforeId === undefined
      ? await query<ToDoRow[]>(`${SELECT_COLUMNS} ORDER BY id DESC LIMIT ?`, [limit + 1], { idempotent: true })
      : await query<ToDoRow[]>(`${SELECT_COLUMNS} WHERE id < ? ORDER BY id DESC LIMIT ?`, [beforeId, limit + 1], {
          idempotent: true,
        });
  const items = rows.slice(0, limit).map(toToDo);
  const nextCursor = rows.length > limit ? encodeCursor(items[items.length - 1].id) : null;
  return { items, nextCursor };
}

export async function createToDo(task: string, status: string): Promise<ToDo> {
  const result = await query<ResultSetHeader>(`INSERT INTO ${TABLE_NAME} (Task, Status) VALUES (?, ?)`, [task, status], {
    idempotent: false,
    writer: true,
  });
  return getToDo(result.insertId, true);
}

export async function updateToDo(id: number, changes: { task?: string; status?: string }): Promise<ToDo> {
  // COALESCE keeps a column that the request leaves out. affectedRows counts matched rows (the driver
  // sets CLIENT_FOUND_ROWS), so an update that changes nothing still finds its row.
  const result = await query<ResultSetHeader>(
    `UPDATE ${TABLE_NAME} SET Task = COALESCE(?, Task), Status = COALESCE(?, Status) WHERE id = ?`,
    [changes.task ?? null, changes.status ?? null, id],
    { idempotent: true, writer: true },
  );
  if (result.affectedRows === 0) throw new NotFoundError(`ToDo ${id} not found`);
  return getToDo(id, true);
}

export async function deleteToDo(id: number): Promise<void> {
  // Not idempotent in its answer: a blind retry after a lost reply would turn a success into a 404.
  const result = await query<ResultSetHeader>(`DELETE FROM ${TABLE_NAME} WHERE id = ?`, [id], { idempotent: false, writer: true });
  if (result.affectedRows === 0) throw new NotFoundError(`ToDo ${id} not found`);
}
