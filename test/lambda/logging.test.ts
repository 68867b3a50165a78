// The log line each request leaves: Powertools' own context and cold-start fields, one line per request,
// the request id the response carries. Bad input is enough to produce it, so no database is needed.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ToDoHandler } from '#lambda/shared/handler';
import { lambdaContext } from '../../util/local/apigw-event';
import { apiWithBody, captureLogs } from './support';

let handler: ToDoHandler;
let log: Logger;

beforeAll(async () => {
  // What the Lambda runtime sets in an on-demand execution environment; Powertools reads it when the
  // logger is created, so the modules are loaded afresh after it is set.
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  jest.resetModules();
  ({ handler } = await import('#lambda/handlers/upsert-todos'));
  ({ logger: log } = await import('#lambda/shared/logger'));
});

afterAll(() => {
  delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
});

const badInput = () => apiWithBody('api-post-create', { task: '' });

test('one line per request with the Lambda context and cold start as Powertools writes them, and no copies', async () => {
  const first = lambdaContext('todomgmt-app-pri-UpsertToDos', 'us-east-2', 15_000, 'lambda-request-1');
  const second = lambdaContext('todomgmt-app-pri-UpsertToDos', 'us-east-2', 15_000, 'lambda-request-2');
  const lines = await captureLogs(
    async () => {
      await handler(badInput(), first);
      await handler(badInput(), second);
    },
    { level: 'INFO', log },
  );
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatchObject({
    level: 'INFO',
    message: 'request rejected',
    service: 'todomgmt',
    cold_start: true,
    function_name: 'todomgmt-app-pri-UpsertToDos',
    function_arn: first.invokedFunctionArn,
    function_request_id: 'lambda-request-1',
    function: 'UpsertToDos',
    source: 'api',
    statusCode: 400,
  });
  expect(lines[1]).toMatchObject({ cold_start: false, function_request_id: 'lambda-request-2', function: 'UpsertToDos' });
  for (const line of lines) {
    expect(line).not.toHaveProperty('coldStart');
    expect(line).not.toHaveProperty('requestId');
  }
});

test('without a Lambda context the line still carries the request id of the response', async () => {
  let headers: Record<string, unknown> = {};
  const lines = await captureLogs(
    async () => {
      const result = await handler(badInput());
      headers = (result as { headers: Record<string, unknown> }).headers;
    },
    { level: 'INFO', log },
  );
  expect(headers['x-request-id']).toBe('c0ffee00-0000-4000-8000-000000000001');
  expect(lines).toEqual([expect.objectContaining({ function_request_id: 'c0ffee00-0000-4000-8000-000000000001', statusCode: 400 })]);
  expect(lines[0]).not.toHaveProperty('function_name');
});
