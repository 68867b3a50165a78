// The failover program's one error base class. It records whose fault an error is: the user's (a bad
// flag or id, missing permissions: the message says what to fix) or the system's (AWS, the network or
// the rehearsal failing, or a bug). cli.ts turns that into what the operator reads and the exit status.

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
