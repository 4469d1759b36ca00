/**
 * {@linkcode WorkerChannel} and {@linkcode serve}: requests to a worker
 * thread and its replies, strictly in order, one reply per request. peercam's
 * frame work runs in two such workers (capture and decode), each making its
 * native calls synchronously on its own thread.
 *
 * @module
 */

import { CallError } from "./errors.ts";

/** Every request and reply names its operation. */
export interface Message {
  /** The operation. */
  op: string;
}

/** The reply a worker sends when a request throws. */
export interface Failed {
  /** Marks a failure. */
  op: "failed";
  /** The error's message. */
  message: string;
  /** The error's class name (`CallError`, `ShimError`, ...). */
  name: string;
  /** A buffer the request lent, handed back. */
  buffer?: ArrayBuffer;
}

/** How long `close()` lets a worker finish before stopping it. */
export const CLOSE_TIMEOUT_MS = 2000;

/** The main thread's end of a worker: requests answered in order. */
export class WorkerChannel<Req extends Message, Rep extends Message> {
  #worker: Worker;
  #what: string;
  #waiting: Array<{ resolve: (reply: Rep | Failed) => void; reject: (error: Error) => void }> = [];
  #failure: Error | undefined;
  #closed = false;

  /**
   * Starts the worker.
   *
   * @param module The worker's module; it calls {@linkcode serve}.
   * @param what What the worker does, for error messages ("capture").
   */
  constructor(module: URL, what: string) {
    this.#what = what;
    this.#worker = new Worker(module, { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<Rep | Failed>) => {
      this.#waiting.shift()?.resolve(event.data);
      if (event.data.op === "closed") this.#worker.terminate();
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#fail(new CallError(`The ${what} worker failed: ${event.message}`));
    };
    this.#worker.onmessageerror = () => {
      this.#fail(new CallError(`The ${what} worker sent a message that cannot be read`));
    };
  }

  /**
   * Sends a request.
   *
   * @param request The request.
   * @param transfer Buffers to move to the worker with it.
   * @returns Its reply, which is `failed` when the worker's handler threw.
   * @throws {CallError} When the worker has died or is closed.
   */
  request(request: Req, transfer: Transferable[] = []): Promise<Rep | Failed> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new CallError(`The ${this.#what} worker is closed`));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#worker.postMessage(request, transfer);
    });
  }

  /**
   * The error for a reply that is not the one expected: a `failed` reply's
   * error, as a {@linkcode CallError}.
   *
   * @param reply The reply.
   * @returns The error to throw.
   */
  unexpected(reply: Rep | Failed): Error {
    if (reply.op === "failed") {
      const failed = reply as Failed;
      return failed.name === "CallError"
        ? new CallError(failed.message)
        : new Error(failed.message);
    }
    return new Error(`The ${this.#what} worker sent an unexpected reply: ${reply.op}`);
  }

  /**
   * Asks the worker to finish what it is doing, release its resources and
   * end; stops it after {@linkcode CLOSE_TIMEOUT_MS} if it does not. A
   * request in flight still gets its reply.
   *
   * @param request The worker's close request.
   */
  close(request: Req): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#failure) return;
    this.#worker.postMessage(request);
    Deno.unrefTimer(setTimeout(() => this.#worker.terminate(), CLOSE_TIMEOUT_MS));
  }

  #fail(error: Error): void {
    this.#failure = error;
    this.#worker.terminate();
    for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
  }
}

/**
 * Runs in a worker: hands each request to `handle`, one at a time in order.
 * When `handle` throws, replies `failed` (with `lent`'s buffer, if the
 * request lent one).
 *
 * @param handle Answers one request by calling `reply` once.
 * @param lent The buffer a request lent the worker, to hand back on failure.
 */
export function serve<Req extends Message>(
  handle: (request: Req) => void | Promise<void>,
  lent: (request: Req) => ArrayBuffer | undefined = () => undefined,
): void {
  let queue = Promise.resolve();
  (self as unknown as WorkerScope).onmessage = (event: MessageEvent<Req>) => {
    const request = event.data;
    queue = queue.then(() => handle(request)).catch((error) => {
      const buffer = lent(request);
      const failed: Failed = {
        op: "failed",
        message: error instanceof Error ? error.message : String(error),
        name: error instanceof Error ? error.name : "Error",
        ...(buffer ? { buffer } : {}),
      };
      reply(failed, buffer ? [buffer] : []);
    });
  };
}

/**
 * Sends a reply from a worker.
 *
 * @param message The reply.
 * @param transfer Buffers to move back with it.
 */
export function reply<M extends Message>(message: M, transfer: Transferable[] = []): void {
  (self as unknown as WorkerScope).postMessage(message, transfer);
}

// The parts of a worker's global scope used here (this module is also
// type-checked as part of the main program, whose `self` is a window).
interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
  close(): void;
}

/** Ends the worker (after its last reply). */
export function endWorker(): void {
  (self as unknown as WorkerScope).close();
}
