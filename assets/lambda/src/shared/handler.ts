// The frame every function shares: parse the event, run the function's logic, map the result or any
// error to the envelope, and log one structured line per request.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { HttpMethod, ToDoFunctionName } from '#routes';
import { describeError, MethodNotAllowedError } from './errors';
import { isApiEvent, parseEvent, type ParsedRequest, type ToDoEvent } from './events';
import { logger } from './logger';
import { respond, type HandlerResult } from './response';

export interface Outcome {
  readonly statusCode: number;
  readonly response: unknown;
}

export interface ToDoHandlerProps {
  readonly name: ToDoFunctionName;
  /** Methods accepted from API Gateway; direct invocations are always accepted. */
  readonly methods: readonly HttpMethod[];
  readonly run: (request: ParsedRequest, context?: Partial<Context>) => Promise<Outcome>;
}

export type ToDoHandler = (event: ToDoEvent, context?: Partial<Context>) => Promise<HandlerResult>;

export function toDoHandler(props: ToDoHandlerProps): ToDoHandler {
  return async (event, context) => {
    const started = Date.now();
    let source: 'api' | 'direct' = isApiEvent(event) ? 'api' : 'direct';
    const requestId = context?.awsRequestId ?? apiRequestId(event) ?? randomUUID();
    // Powertools' own fields on every line: cold_start, function_name, function_request_id and the rest.
    // `function` is the name in the route table, the same in both regions (function_name is per stack).
    logger.addContext(withRequestId(context, requestId));
    logger.appendKeys({ function: props.name });
    try {
      const request = parseEvent(event);
      source = request.source;
      if (request.source === 'api' && !(props.methods as readonly string[]).includes(request.method)) {
        throw new MethodNotAllowedError(`${request.method} is not supported here; use ${props.methods.join(' or ')}`);
      }
      const outcome = await props.run(request, context);
      logger.info('request done', { source, statusCode: outcome.statusCode, durationMs: Date.now() - started });
      return respond(source, outcome.statusCode, { status: 'ok', response: outcome.response }, requestId);
    } catch (error) {
      const { statusCode, message, unexpected } = describeError(error, requestId);
      const details = { source, statusCode, durationMs: Date.now() - started };
      if (unexpected) logger.error('request failed unexpectedly', { ...details, error: error as Error });
      else if (statusCode >= 500) logger.warn('request failed', { ...details, reason: message, cause: causeOf(error) });
      else logger.info('request rejected', { ...details, reason: message });
      return respond(source, statusCode, { status: 'error', response: message }, requestId);
    } finally {
      logger.resetKeys();
    }
  };
}

// Without a Lambda context (tests and the benchmark call the handlers directly) Powertools still gets the
// request id that the response carries, so function_request_id is on every line.
function withRequestId(context: Partial<Context> | undefined, awsRequestId: string): Context {
  return (context?.awsRequestId ? context : { ...context, awsRequestId }) as Context;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return Boolean(value) && typeof value === 'object';
}

function apiRequestId(event: unknown): string | undefined {
  if (!isObject(event) || !isObject(event.requestContext)) return undefined;
  const id = event.requestContext.requestId;
  return typeof id === 'string' && id ? id : undefined;
}

// For 503s the driver error (code, errno) helps operators; it is logged, never returned.
function causeOf(error: unknown): unknown {
  const cause = (error as { cause?: { code?: string; errno?: number; message?: string } }).cause;
  return cause ? { code: cause.code, errno: cause.errno, message: cause.message } : undefined;
}
