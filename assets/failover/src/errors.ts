// The failover program's one error base class. It records whose fault an error is, because that decides
// what the operator reads and how the program exits (cli.ts): a user error (a bad flag, a wrong id in
// .env, a refused request) gets its message only and exit 2, "nothing was changed, fix the input"; a
// system error (AWS or the rehearsal misbehaving, a bug) gets its stack and exit 1.
import { ConfigError } from '#config';

export type Fault = 'user' | 'system';

export class FailoverError extends Error {
  constructor(
    message: string,
    readonly fault: Fault,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FailoverError';
  }
}

/** Bad flags or environment, or a request this deployment cannot carry out; raised before anything is called. */
export class UsageError extends FailoverError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, 'user', options);
    this.name = 'UsageError';
  }
}

/** `.env` is validated by #config, which has its own ConfigError; it is the user's to fix, like a bad flag. */
export function faultOf(error: unknown): Fault {
  if (error instanceof FailoverError) return error.fault;
  if (error instanceof ConfigError) return 'user';
  return 'system';
}
