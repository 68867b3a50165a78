// The API's request models, generated from the handlers' own zod schemas (validation.ts), so API Gateway's
// request validator and the functions check the same structure: JSON Schema draft 4, which is what API
// Gateway models use ("Data models for REST APIs"). Only the structural part is representable (types,
// known fields, required fields); the refinements (lengths in characters, blank text, id ranges, a create
// needing both fields) stay in the handlers. Not imported by the functions: the CDK app reads it.
import * as z from 'zod/mini';
import { idInput, upsertInput } from './validation';

export type JsonSchemaDraft4 = Readonly<Record<string, unknown>>;

const draft4 = (schema: z.ZodMiniType): JsonSchemaDraft4 => z.toJSONSchema(schema, { target: 'draft-4', io: 'input' });

/** POST /v1: a ToDo to create (task, status) or update (id and task and/or status). */
export const upsertBodyModel = (): JsonSchemaDraft4 => draft4(upsertInput);

/**
 * DELETE /v1: {"id": …}; the id may come as ?id= instead, with no body, so the model does not require it
 * (the handler does, when there is a body).
 */
export const removeBodyModel = (): JsonSchemaDraft4 => draft4(z.partial(idInput));
