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
  readonly run: (request: ParsedRequest) => Promise<Outcome>;
}

export type ToDoHandler = (event: ToDoEvent, context?: Partial<Context>) => Promise<HandlerResult>;

let coldStart = true;

export function toDoHandler(props: ToDoHandlerProps): ToDoHandler {
  return async (event, context) => {
    const started = Date.now();
    const wasColdStart = coldStart;
    coldStart = false;
    let source: 'api' | 'direct' = isApiEvent(event) ? 'api' : 'direct';
    const requestId = context?.awsRequestId ?? apiRequestId(event) ?? randomUUID();
    // A real Lambda context adds function name, version, memory and request id to every log line.
    if (context?.functionName && context.awsRequestId) logger.addContext(context as Context);
    logger.appendKeys({ requestId, function: props.name, coldStart: wasColdStart });
    try {
      const request = parseEvent(event);
      source = request.source;
      if (request.source === 'api' && !(props.methods as readonly string[]).includes(request.method)) {
        throw new MethodNotAllowedError(`${request.method} is not supported here; use ${props.methods.join(' or ')}`);
      }
      const outcome = await props.run(request);
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
