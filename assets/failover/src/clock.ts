// Time is injected so that tests run every wait instantly and deterministically.
import { FailoverError } from './errors';
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A clock for tests: sleeping advances time immediately. */
export function fakeClock(start = Date.UTC(2026, 0, 1, 12, 0, 0)): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

export class WaitTimeoutError extends FailoverError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastState: string,
  ) {
    super(
      `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (last state: ${lastState}). ` +
        'Nothing was rolled back: run the same command again to resume from here.',
      'system',
    );
    this.name = 'WaitTimeoutError';
  }
}

export interface WaitOptions<T> {
  readonly what: string;
  readonly read: () => Promise<T>;
  readonly done: (state: T) => boolean;
  readonly describe: (state: T) => string;
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly progress?: (message: string) => void;
}

/** Bounded polling with exponential backoff; returns the first state that is done. */
export async function waitUntil<T>(options: WaitOptions<T>): Promise<T> {
  const { clock, timeoutMs } = options;
  const deadline = clock.now() + timeoutMs;
  let delay = options.initialDelayMs ?? 5_000;
  const maxDelay = options.maxDelayMs ?? 30_000;
  for (;;) {
    const state = await options.read();
    if (options.done(state)) return state;
    const remaining = deadline - clock.now();
    if (remaining <= 0) throw new WaitTimeoutError(options.what, timeoutMs, options.describe(state));
    const wait = Math.min(delay, remaining);
    options.progress?.(`${options.what}: ${options.describe(state)}; next check in ${Math.round(wait / 1000)} s`);
    await clock.sleep(wait);
    delay = Math.min(Math.round(delay * 1.5), maxDelay);
  }
}
