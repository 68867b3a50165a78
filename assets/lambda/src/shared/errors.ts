// Typed errors and the one place that turns any error into an HTTP status and a client-safe message.
// Driver errors never reach the client as they are: they can carry SQL text and server internals.

/** An error whose message is safe to show the caller, with the status it maps to. */
export abstract class ClientError extends Error {
  abstract readonly statusCode: number;
}

export class ValidationError extends ClientError {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends ClientError {
  readonly statusCode = 404;
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export class MethodNotAllowedError extends ClientError {
  readonly statusCode = 405;
  constructor(message: string) {
    super(message);
    this.name = 'MethodNotAllowedError';
  }
}

/** The body is not JSON (Content-Type), or not in the one charset the API takes. */
export class UnsupportedMediaTypeError extends ClientError {
  readonly statusCode = 415;
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedMediaTypeError';
  }
}

export class ConflictError extends ClientError {
  readonly statusCode = 409;
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** The database refuses writes: this region is the passive one (Aurora secondary / replica). */
export class ReadOnlyError extends ClientError {
  readonly statusCode = 503;
  constructor(options?: { cause?: unknown }) {
    super("this region's database is read-only (passive region); retry against the active region", options);
    this.name = 'ReadOnlyError';
  }
}

/** The database cannot be reached or is not ready; retrying later (or in the other region) may work. */
export class DatabaseUnavailableError extends ClientError {
  readonly statusCode = 503;
  constructor(message = 'the database is unavailable; retry shortly', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

export interface ErrorOutcome {
  readonly statusCode: number;
  readonly message: string;
  /** Whether the error is unexpected (logged at error level with the full cause). */
  readonly unexpected: boolean;
}

export function describeError(error: unknown, requestId: string): ErrorOutcome {
  if (error instanceof ClientError) return { statusCode: error.statusCode, message: error.message, unexpected: false };
  return { statusCode: 500, message: `internal error (request id ${requestId})`, unexpected: true };
}

// MySQL / MariaDB server error numbers we translate.
const ER_DUP_ENTRY = 1062;
const ER_OPTION_PREVENTS_STATEMENT = 1290; // --read-only (Aurora secondary, replica)
const ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION = 1792;
const ER_READ_ONLY_MODE = 1836;
const ER_NO_SUCH_TABLE = 1146;
const ER_CON_COUNT_ERROR = 1040;
const ER_SERVER_SHUTDOWN = 1053;
const ER_LOCK_WAIT_TIMEOUT = 1205;
const ER_LOCK_DEADLOCK = 1213;
const ER_CONNECTION_KILLED = 1927;
const ER_QUERY_INTERRUPTED = 1317;
const ER_DATA_TOO_LONG = 1406;
const ER_TRUNCATED_WRONG_VALUE_FOR_FIELD = 1366;
// A user that does not exist (yet): MySQL and the proxy say 1045, MariaDB 1698.
const ACCESS_DENIED_ERRNOS = new Set([1045, 1698]);
// RDS Proxy: "Timed-out waiting to acquire database connection" (e.g. while Aurora fails over).
// AWS docs, "Troubleshooting for RDS Proxy" (MySQL errors: 1040, 1045, 1105, 3159, 2026, 9501).
const RDS_PROXY_BORROW_TIMEOUT = 9501;

const READ_ONLY_ERRNOS = new Set([ER_OPTION_PREVENTS_STATEMENT, ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION, ER_READ_ONLY_MODE]);
const UNAVAILABLE_ERRNOS = new Set([
  ER_CON_COUNT_ERROR,
  ER_SERVER_SHUTDOWN,
  ER_LOCK_WAIT_TIMEOUT,
  ER_LOCK_DEADLOCK,
  ER_CONNECTION_KILLED,
  ER_QUERY_INTERRUPTED,
  RDS_PROXY_BORROW_TIMEOUT,
]);

/**
 * The refusal of an RDS Proxy's read/write endpoint whose target group has no writer: the proxy of an
 * Aurora global database's secondary cluster ("The target group doesn't have any associated read/write
 * instances", AWS Aurora user guide, "Using RDS Proxy with Aurora global databases"). AWS documents the
 * message but not its MySQL error number ("Troubleshooting for RDS Proxy" lists 1040, 1045, 1105, 3159,
 * 2026 and 9501, not this one), so it is recognized by its text, whatever errno comes with it.
 */
export function isNoWriterRefusal(error: unknown): boolean {
  const e = error as DriverError | undefined;
  return Boolean(e && typeof e === 'object' && typeof e.message === 'string' && /associated read\/write instances/i.test(e.message));
}

/** No connection was made at all (nothing listens, no route, no answer in time, the proxy could not borrow one). */
export function isUnreachable(error: unknown): boolean {
  const e = error as DriverError | undefined;
  if (!e || typeof e !== 'object') return false;
  return e.errno === RDS_PROXY_BORROW_TIMEOUT || (e.code !== undefined && UNREACHABLE_CODES.has(e.code));
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Network and protocol failures: the statement may or may not have reached the server. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_PACKETS_OUT_OF_ORDER',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
]);

interface DriverError {
  readonly code?: string;
  readonly errno?: number;
  readonly fatal?: boolean;
  readonly message?: string;
}

export function isConnectionError(error: unknown): boolean {
  const e = error as DriverError | undefined;
  if (!e || typeof e !== 'object') return false;
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  // mysql2 refuses to use a connection it already knows is closed: nothing was sent.
  return Boolean(e.message && /closed state/.test(e.message));
}

/** Errors that prove the statement never reached the server, so even a non-idempotent retry is safe. */
export function provesNothingWasSent(error: unknown): boolean {
  const e = error as DriverError | undefined;
  return Boolean(e && (e.code === 'EPIPE' || (e.message && /closed state/.test(e.message))));
}

export interface TranslateOptions {
  /**
   * This region's read/write endpoint last said it has no writer: a write that now cannot even connect
   * (timeout, 9501) is the passive region's refusal, not an outage.
   */
  readonly passive?: boolean;
  /**
   * The error came while opening the connection: a proxy's refusal at the handshake that is not mapped
   * above (its "Unknown error", a read-only endpoint without readers) is the database being unavailable.
   */
  readonly connecting?: boolean;
}

/** Maps a driver error to our typed errors; anything else is returned unchanged (→ 500). */
export function translateDbError(error: unknown, options: TranslateOptions = {}): unknown {
  const e = error as DriverError | undefined;
  if (!e || typeof e !== 'object') return error;
  if (e.errno !== undefined && READ_ONLY_ERRNOS.has(e.errno)) return new ReadOnlyError({ cause: error });
  if (isNoWriterRefusal(e) || (options.passive && isUnreachable(e))) return new ReadOnlyError({ cause: error });
  if (e.errno !== undefined && ACCESS_DENIED_ERRNOS.has(e.errno)) {
    return new DatabaseUnavailableError(
      "the database refused this function's user; the table step creates it: invoke the CreateTableFunction with " +
        '{"action":"CREATE_TABLE"}',
      { cause: error },
    );
  }
  if (e.errno === ER_DUP_ENTRY) return new ConflictError('a ToDo with this id already exists');
  if (e.errno === ER_NO_SUCH_TABLE) {
    return new DatabaseUnavailableError(
      'the ToDos table does not exist yet; invoke the CreateTableFunction with {"action":"CREATE_TABLE"}',
      { cause: error },
    );
  }
  if (e.errno === ER_DATA_TOO_LONG || e.errno === ER_TRUNCATED_WRONG_VALUE_FOR_FIELD) {
    return new ValidationError('a field does not fit its column (too long or not valid UTF-8)');
  }
  if (e.code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
    return new DatabaseUnavailableError('the database did not answer in time; retry shortly', { cause: error });
  }
  if ((e.errno !== undefined && UNAVAILABLE_ERRNOS.has(e.errno)) || isConnectionError(e) || options.connecting) {
    return new DatabaseUnavailableError(undefined, { cause: error });
  }
  return error;
}
