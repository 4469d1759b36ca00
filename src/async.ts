/**
 * Waiting with a bound: the one timeout helper and the one abortable delay
 * that the rest of peercam uses.
 *
 * @module
 */

/**
 * How long each step of closing may take: a worker finishing its frame
 * before it is stopped, a goodbye, a flush, the peer's close, a task's end.
 * Something stuck (a hung camera, a peer that stopped reading) is given up
 * on after this, so quitting never hangs.
 */
export const CLOSE_TIMEOUT_MS = 1500;

/** What {@linkcode withTimeout} returns when time ran out first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/**
 * Waits for `promise`, but at most `ms` milliseconds. The promise is not
 * cancelled: a caller that owns a resource it may still produce (a
 * connection that completes late) must release it.
 *
 * @example
 * ```ts
 * const conn = await withTimeout(Deno.connect({ port: 80 }), 5000);
 * if (conn === TIMED_OUT) throw new Error("no answer");
 * ```
 *
 * @param promise What to wait for; a rejection passes through.
 * @param ms The bound, in milliseconds.
 * @returns The promise's value, or {@linkcode TIMED_OUT}.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<typeof TIMED_OUT>((resolve) => timer = setTimeout(() => resolve(TIMED_OUT), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves after `ms`, or early when `signal` aborts.
 *
 * @param ms Milliseconds.
 * @param signal Cuts the wait short.
 * @returns A promise that never rejects.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Wakes one waiting task: a task awaits {@linkcode wait}, another calls
 * {@linkcode wake} when what it waits for may have changed (it then checks
 * again). A wake with nobody waiting is remembered until the next wait, so
 * none is lost between a check and the wait that follows it.
 */
export class Wakeup {
  #resolve: (() => void) | undefined;
  #pending = false;

  /**
   * Waits for the next {@linkcode wake} (at once if one came since the last wait).
   *
   * @returns A promise that never rejects.
   */
  wait(): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#resolve = resolve);
  }

  /** Wakes the waiting task, or the next one to wait. */
  wake(): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    if (resolve) resolve();
    else this.#pending = true;
  }
}
