// CreateTableFunction: {"action":"CREATE_TABLE"} creates the ToDos table and the application user, as the
// master user (shared/table-step.ts); running it again is harmless. Not the writer: nothing to do.
import { bodyObject } from '../shared/events';
import { toDoHandler } from '../shared/handler';
import { runTableStep } from '../shared/table-step';
import { createTableInput, parse } from '../shared/validation';

export const handler = toDoHandler({
  name: 'CreateTableFunction',
  // Not routed by the API; accepted so that a local or custom route can call it the same way.
  methods: ['POST'],
  run: async (request, context) => {
    parse(createTableInput, bodyObject(request), 'request');
    const remaining = context?.getRemainingTimeInMillis;
    return { statusCode: 200, response: await runTableStep({ remainingMs: remaining && (() => remaining.call(context)) }) };
  },
});
