// The API's route table: the CDK app stack and the local rehearsal both build their APIs from it,
// so a route added here exists in both or in neither. Pure data: safe to import from a Lambda bundle.

export type ToDoFunctionName = 'GetToDos' | 'UpsertToDos' | 'RemoveToDos' | 'CreateTableFunction';
export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface ToDoFunction {
  /** Handler module, relative to assets/lambda/src; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** Whether the function writes; writes are refused (503) where the database is read-only. */
  readonly writes: boolean;
}

export const TODO_FUNCTIONS: Readonly<Record<ToDoFunctionName, ToDoFunction>> = {
  GetToDos: { entry: 'handlers/get-todos.ts', description: 'Reads one ToDo by id, or lists them newest first', writes: false },
  UpsertToDos: { entry: 'handlers/upsert-todos.ts', description: 'Creates a ToDo, or updates it when the body has an id', writes: true },
  RemoveToDos: { entry: 'handlers/remove-todos.ts', description: 'Deletes a ToDo by id', writes: true },
  CreateTableFunction: { entry: 'handlers/create-table.ts', description: 'Creates the ToDos table (idempotent)', writes: true },
};

/**
 * Every answer of a regional API names the region that gave it (the functions' responses and API
 * Gateway's own gateway responses alike), so a client, the failover's probe and the game day can tell
 * which region served them through the same edge URL.
 */
export const REGION_HEADER = 'x-todomgmt-region';

/** The REST resource every route lives on. */
export const API_BASE_PATH = '/v1';

/** OAuth2 resource server and scope that every method requires (Cognito: `<resource server>/<scope>`). */
export const OAUTH_RESOURCE_SERVER = 'api';
export const OAUTH_SCOPE_NAME = 'upsert-delete';
export const OAUTH_SCOPE = `${OAUTH_RESOURCE_SERVER}/${OAUTH_SCOPE_NAME}`;
/**
 * How long an access token lasts (the user pool client's setting and the rehearsal's tokens): in a primary
 * outage without a Cognito replica, how long clients keep working.
 */
export const ACCESS_TOKEN_VALIDITY_MINUTES = 60;

export interface ApiRoute {
  readonly method: HttpMethod;
  readonly path: typeof API_BASE_PATH;
  readonly functionName: ToDoFunctionName;
}

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'GET', path: API_BASE_PATH, functionName: 'GetToDos' },
  { method: 'POST', path: API_BASE_PATH, functionName: 'UpsertToDos' },
  { method: 'DELETE', path: API_BASE_PATH, functionName: 'RemoveToDos' },
];
