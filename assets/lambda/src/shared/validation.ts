// Input schemas (zod/mini: the tree-shakable build, a few KB in the bundle instead of ~450 KB).
// Every message names the field and says what is wrong; unknown fields are rejected, not ignored.
import * as z from 'zod/mini';
import { ValidationError } from './errors';

/** Column sizes of the ToDos table (as in the original sample): VARCHAR(50) each, counted in characters. */
export const TASK_MAX_CHARS = 50;
export const STATUS_MAX_CHARS = 50;
/** Largest INT UNSIGNED (the id column). */
export const MAX_ID = 4_294_967_295;
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 100;

const id = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((value, ctx) => {
    const text = typeof value === 'number' ? String(value) : value;
    const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
    if (!(n >= 1 && n <= MAX_ID)) {
      ctx.issues.push({ code: 'custom', input: value, message: `must be a positive integer up to ${MAX_ID}` });
      return z.NEVER;
    }
    return n;
  }),
);

// MariaDB/MySQL count VARCHAR length in characters (code points), JavaScript in UTF-16 units: an emoji
// is 1 character for the database and 2 for String.length.
// Steps over a surrogate pair as one, as the string iterator does, without building an array of a long input.
const codePoints = (s: string) => {
  let count = 0;
  for (let i = 0; i < s.length; i += (s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1) count++;
  return count;
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const text = (max: number) =>
  z.string().check(
    z.refine((s) => s.trim().length > 0, 'must not be empty or blank'),
    z.refine((s) => codePoints(s) <= max, `must be at most ${max} characters`),
    // A lone surrogate has no UTF-8 form: the database would reject or mangle it.
    z.refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode (no unpaired surrogates)'),
  );

const task = text(TASK_MAX_CHARS);
const status = text(STATUS_MAX_CHARS);

export const upsertInput = z.strictObject({ id: z.optional(id), task: z.optional(task), status: z.optional(status) }).check(
  z.superRefine((v, ctx) => {
    if (v.id === undefined) {
      for (const field of ['task', 'status'] as const) {
        if (v[field] === undefined) ctx.issues.push({ code: 'custom', input: v, path: [field], message: 'is required to create a ToDo' });
      }
    } else if (v.task === undefined && v.status === undefined) {
      ctx.issues.push({ code: 'custom', input: v, message: 'an update needs task and/or status' });
    }
  }),
);
export type UpsertInput = z.infer<typeof upsertInput>;

export const idInput = z.strictObject({ id });

const limit = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((value, ctx) => {
    const text = String(value);
    const n = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
    if (!(n >= 1 && n <= MAX_LIST_LIMIT)) {
      ctx.issues.push({ code: 'custom', input: value, message: `must be an integer from 1 to ${MAX_LIST_LIMIT}` });
      return z.NEVER;
    }
    return n;
  }),
);

/** The list cursor is opaque to clients: base64url of the last id returned. */
export const encodeCursor = (lastId: number) => Buffer.from(`id:${lastId}`).toString('base64url');

const cursor = z.pipe(
  z.string(),
  z.transform((value, ctx) => {
    const match = /^id:(\d{1,10})$/.exec(Buffer.from(value, 'base64url').toString('utf8'));
    const n = match ? Number(match[1]) : NaN;
    if (!(n >= 1 && n <= MAX_ID) || encodeCursor(n) !== value) {
      ctx.issues.push({ code: 'custom', input: value, message: 'is not a cursor returned by this API (use nextCursor as is)' });
      return z.NEVER;
    }
    return n;
  }),
);

export const getInput = z.strictObject({ id: z.optional(id), limit: z.optional(limit), cursor: z.optional(cursor) }).check(
  z.refine((v) => v.id === undefined || (v.limit === undefined && v.cursor === undefined), {
    message: 'id cannot be combined with limit or cursor',
  }),
);
export type GetInput = z.infer<typeof getInput>;

export const createTableInput = z
  .strictObject({ action: z.string() })
  .check(z.refine((v) => v.action === 'CREATE_TABLE', { message: "action must be 'CREATE_TABLE'", path: ['action'] }));

/** Unknown fields named in a 400 (and its log line); the rest are counted. */
export const MAX_NAMED_FIELDS = 3;
/** A field name is quoted up to this many characters. */
const MAX_FIELD_NAME_CHARS = 40;
/** Whatever the input, a 400's message stays this short (the client's body is not echoed back). */
export const MAX_MESSAGE_CHARS = 500;

/** Parses or throws a ValidationError whose message lists the problems, field by field, bounded in length. */
export function parse<S extends z.ZodMiniType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const message = `invalid ${what}: ${result.error.issues.map(describeIssue).join('; ')}`;
  throw new ValidationError(message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message);
}

/** `'name'`, shortened, with control characters escaped (the name is the client's text). */
const quoteField = (name: string) => {
  const short = name.length > MAX_FIELD_NAME_CHARS ? `${name.slice(0, MAX_FIELD_NAME_CHARS)}…` : name;
  return `'${JSON.stringify(short).slice(1, -1)}'`;
};

function describeUnknown(keys: readonly string[]): string {
  const named = keys.slice(0, MAX_NAMED_FIELDS).map(quoteField).join(', ');
  const rest = keys.length - MAX_NAMED_FIELDS;
  return `unknown field${keys.length > 1 ? 's' : ''} ${named}${rest > 0 ? ` and ${rest} more (${keys.length} in all)` : ''}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length ? `${issue.path.map((p) => String(p)).join('.')}: ` : '';
  switch (issue.code) {
    case 'unrecognized_keys':
      return describeUnknown(issue.keys);
    case 'invalid_type':
      return issue.path.length ? `${field}must be ${article(issue.expected)}` : `must be a JSON ${issue.expected}`;
    case 'invalid_union':
      return `${field}must be a string or a number`;
    default:
      return `${field}${issue.message}`;
  }
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
