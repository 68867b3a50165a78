// CreateTableFunction: {"action":"CREATE_TABLE"} creates the ToDos table; running it again is harmless.
import { bodyObject } from '../shared/events';
import { toDoHandler } from '../shared/handler';
import { createTable } from '../shared/todos';
import { createTableInput, parse } from '../shared/validation';

export const handler = toDoHandler({
  name: 'CreateTableFunction',
  // Not routed by the API; accepted so that a local or custom route can call it the same way.
  methods: ['POST'],
  run: async (request) => {
    parse(createTableInput, bodyObject(request), 'request');
    return { statusCode: 200, response: await createTable() };
  },
});
