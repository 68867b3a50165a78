// UpsertToDos: POST /v1 {"task","status"} creates (201), {"id",...} updates (200, 404 when missing);
// direct invocation takes the same object as payload.
import { bodyObject } from '../shared/events';
import { toDoHandler } from '../shared/handler';
import { createToDo, updateToDo } from '../shared/todos';
import { parse, upsertInput } from '../shared/validation';

export const handler = toDoHandler({
  name: 'UpsertToDos',
  methods: ['POST'],
  run: async (request) => {
    const input = parse(upsertInput, bodyObject(request), 'body');
    if (input.id !== undefined) {
      return { statusCode: 200, response: await updateToDo(input.id, { task: input.task, status: input.status }) };
    }
    // The schema requires both fields when there is no id.
    return { statusCode: 201, response: await createToDo(input.task!, input.status!) };
  },
});
