// GetToDos: GET /v1?id=1 (one ToDo) or GET /v1[?limit=&cursor=] (newest first); direct {"id":"1"}.
import { toDoHandler } from '../shared/handler';
import { getToDo, listToDos } from '../shared/todos';
import { DEFAULT_LIST_LIMIT, getInput, parse } from '../shared/validation';

export const handler = toDoHandler({
  name: 'GetToDos',
  methods: ['GET'],
  run: async (request) => {
    const input = parse(getInput, request.source === 'api' ? request.query : request.payload, 'request');
    if (input.id !== undefined) return { statusCode: 200, response: await getToDo(input.id) };
    return { statusCode: 200, response: await listToDos(input.limit ?? DEFAULT_LIST_LIMIT, input.cursor) };
  },
});
