// RemoveToDos: DELETE /v1 with body {"id":"2"} (as in the article) or ?id=2; direct {"id":"2"}.
import { ValidationError } from '../shared/errors';
import type { ParsedRequest } from '../shared/events';
import { toDoHandler } from '../shared/handler';
import { deleteToDo } from '../shared/todos';
import { idInput, parse } from '../shared/validation';

export const handler = toDoHandler({
  name: 'RemoveToDos',
  methods: ['DELETE'],
  run: async (request) => {
    const { id } = parse(idInput, removeInput(request), 'request');
    await deleteToDo(id);
    return { statusCode: 200, response: { id, deleted: true } };
  },
});

function removeInput(request: ParsedRequest): unknown {
  if (request.source === 'direct') return request.payload;
  const fromQuery = Object.keys(request.query).length > 0 ? request.query : undefined;
  const fromBody = request.body;
  if (fromQuery && fromBody !== undefined) {
    throw new ValidationError('give the id either in the body or as ?id=, not both');
  }
  if (fromBody !== undefined && (!fromBody || typeof fromBody !== 'object' || Array.isArray(fromBody))) {
    throw new ValidationError('request body must be a JSON object');
  }
  return fromQuery ?? fromBody ?? {};
}
